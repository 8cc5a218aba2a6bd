import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import {
  NativeRtpReceiver,
  mvrRtpAddon,
  nativeRtpLoadError,
} from './nativeRtp';
import type { BoundRtpSocket } from './rtpSocket';

jest.setTimeout(30_000);

interface Received {
  seq: number;
  address: string;
  port: number;
}

function addon() {
  const a = mvrRtpAddon();
  if (!a)
    throw new Error(
      `the native RTP receiver is not built here: ${nativeRtpLoadError()}`,
    );
  return a;
}

async function until(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 5));
  }
}

function collect(socket: BoundRtpSocket): Received[] {
  const got: Received[] = [];
  socket.onDatagram((buf, address, port) =>
    got.push({ seq: buf.readUInt32BE(0), address, port }),
  );
  return got;
}

function datagram(seq: number, size = 172): Buffer {
  const b = Buffer.alloc(size, 0x55);
  b.writeUInt32BE(seq, 0);
  return b;
}

async function sender(
  type: 'udp4' | 'udp6',
  host: string,
): Promise<dgram.Socket & { port: number }> {
  const s = dgram.createSocket(type);
  await new Promise<void>(r => s.bind(0, host, () => r()));
  return Object.assign(s, { port: s.address().port });
}

function send(
  s: dgram.Socket,
  buf: Buffer,
  port: number,
  host: string,
): Promise<void> {
  return new Promise((resolve, reject) =>
    s.send(buf, port, host, e => (e ? reject(e) : resolve())),
  );
}

describe('NativeRtpReceiver (native/mvr_rtp.c: epoll + recvmmsg on one thread)', () => {
  let receiver: NativeRtpReceiver;
  beforeEach(() => {
    receiver = new NativeRtpReceiver(addon());
  });
  afterEach(() => receiver.stop());

  it('delivers every datagram of 300 sockets, in order per socket, with the source address and port (IPv4 and IPv6)', async () => {
    const v4 = await Promise.all(
      Array.from({ length: 200 }, () => receiver.bind('127.0.0.1', 0)),
    );
    const v6 = await Promise.all(
      Array.from({ length: 100 }, () => receiver.bind('::1', 0)),
    );
    const got4 = v4.map(collect);
    const got6 = v6.map(collect);
    const s4 = await sender('udp4', '127.0.0.1');
    const s6 = await sender('udp6', '::1');
    const perSocket = 20;
    try {
      for (let seq = 0; seq < perSocket; seq++) {
        await Promise.all([
          ...v4.map(s => send(s4, datagram(seq), s.port, '127.0.0.1')),
          ...v6.map(s => send(s6, datagram(seq), s.port, '::1')),
        ]);
      }
      await until(
        () => [...got4, ...got6].every(g => g.length >= perSocket),
        5000,
        'all datagrams',
      );
      const seqs = Array.from({ length: perSocket }, (_, i) => i);
      for (const g of got4)
        expect(g).toEqual(
          seqs.map(seq => ({ seq, address: '127.0.0.1', port: s4.port })),
        );
      for (const g of got6)
        expect(g).toEqual(
          seqs.map(seq => ({ seq, address: '::1', port: s6.port })),
        );
      const stats = receiver.stats()!;
      expect(stats).toMatchObject({
        sockets: 300,
        datagrams: 300 * perSocket,
        truncated: 0,
        errors: 0,
      });
      // batches, not one call per datagram
      expect(stats.batches).toBeLessThan(300 * perSocket);
    } finally {
      s4.close();
      s6.close();
    }
  });

  it('reports the source as node:dgram does, also on a dual-stack socket and when the source changes', async () => {
    const native = await receiver.bind('::', 0);
    const got = collect(native);
    const ref = dgram.createSocket('udp6');
    await new Promise<void>(r => ref.bind(0, '::', () => r()));
    const refGot: Received[] = [];
    ref.on('message', (buf, rinfo) =>
      refGot.push({
        seq: buf.readUInt32BE(0),
        address: rinfo.address,
        port: rinfo.port,
      }),
    );
    const a = await sender('udp4', '127.0.0.1');
    const b = await sender('udp6', '::1');
    try {
      for (const [seq, s, host] of [
        [0, a, '127.0.0.1'],
        [1, b, '::1'],
        [2, a, '127.0.0.1'],
      ] as const) {
        await send(s, datagram(seq), native.port, host);
        await send(s, datagram(seq), ref.address().port, host);
        await until(
          () => got.length > seq && refGot.length > seq,
          2000,
          `datagram ${seq}`,
        );
      }
      expect(got).toEqual(refGot);
      expect(got.map(g => g.address)).toEqual([
        '::ffff:127.0.0.1',
        '::1',
        '::ffff:127.0.0.1',
      ]);
    } finally {
      a.close();
      b.close();
      ref.close();
    }
  });

  it('closes a socket under traffic: nothing of it is delivered after release, the others go on, and its port binds again', async () => {
    const victim = await receiver.bind('127.0.0.1', 0);
    const other = await receiver.bind('127.0.0.1', 0);
    const port = victim.port;
    let afterRelease = 0;
    let released = false;
    victim.onDatagram(() => {
      if (released) afterRelease++;
    });
    const otherGot = collect(other);
    const s = await sender('udp4', '127.0.0.1');
    let seq = 0;
    const blast = setInterval(() => {
      for (let i = 0; i < 20; i++) {
        s.send(datagram(seq), port, '127.0.0.1');
        s.send(datagram(seq++), other.port, '127.0.0.1');
      }
    }, 1);
    try {
      await until(() => otherGot.length > 200, 5000, 'traffic');
      released = true;
      await victim.release();
      const before = otherGot.length;
      await until(
        () => otherGot.length > before + 200,
        5000,
        'traffic after the close',
      );
      expect(afterRelease).toBe(0);
      // the same port binds again (close then rebind) and receives
      const again = await receiver.bind('127.0.0.1', port);
      expect(again.port).toBe(port);
      const againGot = collect(again);
      await until(
        () => againGot.length > 10,
        5000,
        'datagrams on the rebound port',
      );
      expect(afterRelease).toBe(0);
      await again.release();
      await victim.release(); // twice: no error
    } finally {
      clearInterval(blast);
      s.close();
    }
  });

  it('rejects a port another socket holds with EADDRINUSE, and an address that is not one', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>(r => holder.bind(0, '127.0.0.1', () => r()));
    try {
      await expect(
        receiver.bind('127.0.0.1', holder.address().port),
      ).rejects.toMatchObject({
        code: 'EADDRINUSE',
        syscall: 'bind',
        port: holder.address().port,
        message: expect.stringContaining(
          `bind EADDRINUSE 127.0.0.1:${holder.address().port}`,
        ),
      });
    } finally {
      holder.close();
    }
    await expect(receiver.bind('127.0.0.1', 70000)).rejects.toThrow(
      /port must be a number 0-65535/,
    );
    await expect(receiver.bind('no-such-host.invalid', 0)).rejects.toThrow(
      /ENOTFOUND|EAI_AGAIN/,
    );
  });

  it('drains the sockets while the event loop is blocked for 300 ms: nothing lost beyond what one socket buffer holds', async () => {
    // a small socket buffer (64 KiB asked, 128 KiB granted): the 2,000 datagrams sent while
    // JavaScript is blocked take ~2 MB of buffer space, so they survive only if the thread reads them
    receiver.stop();
    receiver = new NativeRtpReceiver(addon(), {
      receiveBufferBytes: 64 * 1024,
    });
    const socket = await receiver.bind('127.0.0.1', 0);
    const got = collect(socket);
    const total = 2000;
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('dgram').createSocket('udp4');
         let seq = 0; const b = Buffer.alloc(172, 0x55);
         process.stdin.once('data', () => {
           const t = setInterval(() => {
             for (let i = 0; i < 8 && seq < ${total}; i++) { b.writeUInt32BE(seq++, 0); s.send(Buffer.from(b), ${socket.port}, '127.0.0.1'); }
             if (seq >= ${total}) { clearInterval(t); setTimeout(() => { process.stdout.write('done'); s.close(); }, 50); }
           }, 1);
           process.stdout.write('sending');
         });`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const output: string[] = [];
      child.stdout.on('data', d => output.push(String(d)));
      child.stdin.write('go');
      await until(
        () => output.join('').includes('sending'),
        5000,
        'the sender',
      );
      const t0 = Date.now();
      let blockedWhileSending = 0;
      while (Date.now() - t0 < 300) blockedWhileSending++; // a synchronous SQLite write, a GC pause...
      expect(blockedWhileSending).toBeGreaterThan(0);
      await until(
        () => output.join('').includes('done'),
        10_000,
        'the sender to finish',
      );
      await until(
        () => got.length >= total,
        2000,
        `${total} datagrams (got ${got.length})`,
      ).catch(() => undefined);
      expect(got.length).toBe(total);
      expect(got.map(g => g.seq)).toEqual(
        Array.from({ length: total }, (_, i) => i),
      );
    } finally {
      child.kill();
    }
  });

  it('settle() delivers what reached the sockets before it, without waiting for the batch deadline (a call end)', async () => {
    receiver.stop();
    receiver = new NativeRtpReceiver(addon(), { flushMs: 1000 });
    const sockets = await Promise.all([
      receiver.bind('127.0.0.1', 0),
      receiver.bind('127.0.0.1', 0),
    ]);
    const got = sockets.map(collect);
    const s = await sender('udp4', '127.0.0.1');
    try {
      for (let round = 0; round < 3; round++) {
        for (let seq = 0; seq < 5; seq++)
          for (const b of sockets)
            await send(s, datagram(round * 5 + seq), b.port, '127.0.0.1');
        const t0 = Date.now();
        await sockets[round % 2].settle();
        expect(Date.now() - t0).toBeLessThan(500);
        for (const g of got)
          expect(g.map(x => x.seq)).toEqual(
            Array.from({ length: (round + 1) * 5 }, (_, i) => i),
          );
      }
      await Promise.all([
        sockets[0].settle(),
        sockets[1].settle(),
        sockets[0].settle(),
      ]);
    } finally {
      s.close();
    }
  });

  it('stops: the thread is joined, the ports are free again, and nothing binds afterwards', async () => {
    const a = await receiver.bind('127.0.0.1', 0);
    const got = collect(a);
    const s = await sender('udp4', '127.0.0.1');
    try {
      await send(s, datagram(1), a.port, '127.0.0.1');
      await until(() => got.length === 1, 2000, 'one datagram');
      receiver.stop();
      expect(receiver.stats()).toBeUndefined();
      const reuse = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        reuse.once('error', reject);
        reuse.bind(a.port, '127.0.0.1', () => resolve());
      });
      reuse.close();
      await expect(receiver.bind('127.0.0.1', 0)).rejects.toThrow(/stopped/);
      await a.release(); // after stop: no error
    } finally {
      s.close();
    }
  });
});
