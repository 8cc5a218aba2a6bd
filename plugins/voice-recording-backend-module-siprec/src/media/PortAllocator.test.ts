import dgram from 'node:dgram';
import { NativeRtpReceiver, mvrRtpAddon, nativeRtpLoadError } from './nativeRtp';
import { NoRtpPortError, PortAllocator } from './PortAllocator';
import { RtpSocketFactory, dgramRtpSockets, nativeRtpSockets } from './rtpSocket';

async function freeEvenRange(size: number): Promise<number> {
  // find a base whose ports are free right now (ephemeral range start varies)
  const probe = dgram.createSocket('udp4');
  await new Promise<void>(r => probe.bind(0, '127.0.0.1', () => r()));
  const p = probe.address().port;
  await new Promise<void>(r => probe.close(() => r()));
  const base = p - (p % 2) - size * 2 > 1024 ? p - (p % 2) - size * 2 : p - (p % 2);
  return base;
}

let receiver: NativeRtpReceiver | undefined;
afterAll(() => receiver?.stop());

const implementations: Array<[string, () => RtpSocketFactory]> = [
  ['node:dgram', () => dgramRtpSockets],
  [
    'the native receiver',
    () => {
      const addon = mvrRtpAddon();
      if (!addon) throw new Error(`the native RTP receiver is not built here: ${nativeRtpLoadError()}`);
      receiver ??= new NativeRtpReceiver(addon);
      return nativeRtpSockets(receiver);
    },
  ],
];

describe.each(implementations)('PortAllocator with %s', (_name, factory) => {
  it('hands out even ports of the range round robin, skips busy ones, and reports exhaustion', async () => {
    const min = await freeEvenRange(4);
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>(r => blocker.bind(min + 2, '127.0.0.1', () => r()));
    const alloc = new PortAllocator({ host: '127.0.0.1', range: { min, max: min + 5 }, sockets: factory() });
    expect(alloc.implementation).toBe(factory().name);
    const a = await alloc.allocate();
    const b = await alloc.allocate();
    expect([a.port, b.port]).toEqual([min, min + 4]); // min+2 is taken by another socket (EADDRINUSE)
    await expect(alloc.allocate()).rejects.toBeInstanceOf(NoRtpPortError);
    await expect(alloc.allocate()).rejects.toThrow(/EADDRINUSE/);
    await a.release();
    const c = await alloc.allocate();
    expect(c.port).toBe(min);
    expect(alloc.allocated).toBe(2);
    await Promise.all([b.release(), c.release()]);
    await c.release(); // twice: no error, the port is not given back twice
    expect(alloc.allocated).toBe(0);
    await new Promise<void>(r => blocker.close(() => r()));
  });

  it('delivers the datagrams of an allocated socket with their source, and none after its release', async () => {
    const alloc = new PortAllocator({ host: '127.0.0.1', sockets: factory() });
    const bound = await alloc.allocate();
    const got: Array<[string, string, number]> = [];
    bound.onDatagram((buf, address, port) => got.push([buf.toString(), address, port]));
    const client = dgram.createSocket('udp4');
    await new Promise<void>(r => client.bind(0, '127.0.0.1', () => r()));
    try {
      for (const text of ['one', 'two']) client.send(text, bound.port, '127.0.0.1');
      const t0 = Date.now();
      while (got.length < 2 && Date.now() - t0 < 2000) await new Promise(r => setTimeout(r, 5));
      expect(got).toEqual([
        ['one', '127.0.0.1', client.address().port],
        ['two', '127.0.0.1', client.address().port],
      ]);
      await bound.release();
      client.send('three', bound.port, '127.0.0.1');
      await new Promise(r => setTimeout(r, 50));
      expect(got).toHaveLength(2);
    } finally {
      client.close();
    }
  });
});

describe('PortAllocator', () => {
  it('refuses an invalid range', () => {
    expect(() => new PortAllocator({ host: '127.0.0.1', range: { min: 80, max: 90 }, sockets: dgramRtpSockets })).toThrow(
      /invalid RTP port range 80-90/,
    );
  });
});
