import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { decodeOggOpus, OggOpusWriter } from './opusFile';
import { OpusEncoderPool, inThreadOggOpusEncoding } from './opusEncoderPool';
import { decodeAlaw, encodeAlaw } from './g711';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalFileBlobStore } from '../storage/BlobStore';
import { whileLibuvPoolBlocked } from '../__testUtils__/libuvPoolBlocked';
import { writeWavG711Stereo } from './wav';

/** 8 kHz stereo test signal, different per seed */
function signal(seed: number, samples: number): Int16Array {
  const out = new Int16Array(samples * 2);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    const t = i / 8000;
    const f = 200 + 45 * seed + 70 * Math.sin(2 * Math.PI * 0.9 * t);
    phase += (2 * Math.PI * f) / 8000;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * (2 + seed / 7) * t);
    const v = 8000 * env * (Math.sin(phase) + 0.3 * Math.sin(3 * phase));
    out[2 * i] = Math.round(v);
    out[2 * i + 1] = Math.round(-0.6 * v);
  }
  return out;
}

const options = (serial: number) => ({ implementation: 'wasm' as const, serial, complexity: 0 });

function encodeInThread(pcm: Int16Array, serial: number): Buffer {
  const w = new OggOpusWriter(options(serial));
  const out: Buffer[] = [];
  for (let i = 0; i < pcm.length; i += 16000) out.push(...w.write(pcm.subarray(i, i + 16000)));
  return Buffer.concat([...out, ...w.end()]);
}

/** nice value of every thread of this process (Linux /proc; field 19 of stat) */
function threadNiceValues(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

describe('OpusEncoderPool', () => {
  let pool: OpusEncoderPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('encodes on worker threads, byte-identical to the in-thread writer, many writers interleaved', async () => {
    pool = new OpusEncoderPool({ threads: 2 });
    const count = 12;
    const seconds = 3;
    const inputs = Array.from({ length: count }, (_, k) => signal(k, 8000 * seconds));
    const writers = inputs.map((_, k) => pool!.createWriter(options(k + 1)));
    const out: Buffer[][] = inputs.map(() => []);
    // one second of each call at a time, all calls in flight together
    for (let s = 0; s < seconds; s++) {
      const parts = await Promise.all(
        writers.map((w, k) => w.write(inputs[k].subarray(s * 16000, (s + 1) * 16000))),
      );
      parts.forEach((p, k) => out[k].push(...p));
    }
    const ends = await Promise.all(writers.map(w => w.end()));
    ends.forEach((p, k) => out[k].push(...p));
    expect(pool.liveWorkers).toBe(2);
    for (let k = 0; k < count; k++) {
      const file = Buffer.concat(out[k]);
      expect(file.equals(encodeInThread(inputs[k], k + 1))).toBe(true);
      const decoded = decodeOggOpus(file);
      expect(decoded.channels).toBe(2);
      expect(decoded.samples).toBe(8000 * seconds);
    }
  });

  it('encodes WAV sample bytes decoded on the worker, byte-identical to encoding the decoded PCM', async () => {
    pool = new OpusEncoderPool({ threads: 1 });
    const pcm = signal(3, 8000 * 2);
    const alaw = encodeAlaw(pcm);
    // a Buffer view into a larger buffer, as a read stream's chunk would be: it must stay usable
    const backing = Buffer.concat([Buffer.from('head'), alaw, Buffer.from('tail')]);
    const view = backing.subarray(4, 4 + alaw.length);
    const onWorker = pool.createWriter(options(7));
    const pages = [...(await onWorker.writeSamples('alaw', view)), ...(await onWorker.end())];
    expect(view.equals(alaw)).toBe(true);
    const reference = encodeInThread(decodeAlaw(alaw), 7);
    expect(Buffer.concat(pages).equals(reference)).toBe(true);
    // 16-bit PCM little-endian bytes, and the in-thread adapter, give the same file
    const le = Buffer.alloc(pcm.length * 2);
    pcm.forEach((v, i) => le.writeInt16LE(v, 2 * i));
    const inThread = inThreadOggOpusEncoding(options(8));
    const pcmPages = [...(await inThread.writeSamples('pcm16', le)), ...(await inThread.end())];
    expect(Buffer.concat(pcmPages).equals(encodeInThread(pcm, 8))).toBe(true);
  });

  it("transcodes a stored WAV with its file calls on the encoder thread, none on libuv's pool", async () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-transcode-'));
    try {
      const store = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
      const seconds = 12; // several read chunks of 64 KiB
      const pcm = signal(5, 8000 * seconds);
      const left = encodeAlaw(pcm.filter((_, i) => i % 2 === 0));
      const right = encodeAlaw(pcm.filter((_, i) => i % 2 === 1));
      const wav = writeWavG711Stereo('alaw', left, right);
      const source = await store.put('calls/a.wav', wav, { contentType: 'audio/wav' });
      await store.put('calls/a.wav.peaks', Buffer.from('peaks'), { contentType: 'application/octet-stream' });
      pool = new OpusEncoderPool({ threads: 1, niceness: 19 });
      const job = {
        sourceKey: 'calls/a.wav',
        expectedSha256: source.sha256,
        targetKey: 'calls/a.opus',
        bitrate: 16000,
        complexity: 0,
      };
      // every read, write, fsync and rename of the job done while no pool thread is free
      const result = await whileLibuvPoolBlocked(() => pool!.transcodeWav(store, job).result);
      const file = fs.readFileSync(path.join(dir, 'calls', 'a.opus'));
      expect(result).toMatchObject({ bytes: file.length, sha256: createHash('sha256').update(file).digest('hex'), peaksCopied: true });
      expect(result.seconds).toBeCloseTo(seconds, 3);
      expect(decodeOggOpus(file).samples).toBe(8000 * seconds);
      expect(fs.readFileSync(path.join(dir, 'calls', 'a.opus.peaks'), 'utf8')).toBe('peaks');
      expect(fs.readdirSync(path.join(dir, 'calls')).filter(n => n.includes('.tmp-'))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs its encoder threads at the configured niceness, the rest of the process untouched', async () => {
    if (process.platform !== 'linux') return;
    const before = threadNiceValues();
    pool = new OpusEncoderPool({ threads: 2, niceness: 19 });
    const writers = [pool.createWriter(options(1)), pool.createWriter(options(2))];
    await Promise.all(writers.map((w, k) => w.write(signal(k, 8000))));
    const after = threadNiceValues();
    const niced = [...after].filter(([tid, nice]) => nice === 19 && !before.has(tid));
    // each worker's thread, and any thread it started since (they inherit its value)
    expect(niced.length).toBeGreaterThanOrEqual(2);
    // the main thread (tid = pid) and every thread that existed before keep their value
    const kept = [...before].filter(([tid]) => after.has(tid));
    expect(kept.map(([tid]) => after.get(tid))).toEqual(kept.map(([, nice]) => nice));
    expect(after.get(process.pid)).toBe(before.get(process.pid));
    await Promise.all(writers.map(w => w.end()));
    expect(() => new OpusEncoderPool({ niceness: 20 })).toThrow(/niceness must be an integer 0\.\.19, got 20/);
  });

  it('does not encode on the calling thread (the event loop stays free)', async () => {
    const pcm = signal(3, 8000 * 30);
    /** event-loop utilisation of this thread while 30 s of stereo are encoded */
    const busy = async (threads: number) => {
      const p = new OpusEncoderPool({ threads });
      try {
        const w = p.createWriter(options(7));
        const before = performance.eventLoopUtilization();
        const pages: Buffer[] = [];
        for (let s = 0; s < 30; s++) pages.push(...(await w.write(pcm.subarray(s * 16000, (s + 1) * 16000))));
        pages.push(...(await w.end()));
        const elu = performance.eventLoopUtilization(before).utilization;
        expect(decodeOggOpus(Buffer.concat(pages)).samples).toBe(8000 * 30);
        return elu;
      } finally {
        await p.close();
      }
    };
    expect(threadId).toBe(0);
    const inThread = await busy(0);
    const onWorker = await busy(1);
    expect(inThread).toBeGreaterThan(0.8);
    expect(onWorker).toBeLessThan(0.5);
  });

  it('reports bad options on first use and a worker crash as errors of the writers it held', async () => {
    pool = new OpusEncoderPool({ threads: 1 });
    const bad = pool.createWriter({ ...options(1), complexity: 42 });
    await expect(bad.write(signal(1, 160))).rejects.toThrow(/complexity must be an integer 0\.\.10, got 42/);
    const w = pool.createWriter(options(2));
    await w.write(signal(2, 8000));
    // kill the worker under the writer
    await (pool as any).workers[0].worker.terminate();
    await expect(w.end()).rejects.toThrow(/worker exited/);
    // a new writer gets a fresh worker
    const again = pool.createWriter(options(3));
    const pages = [...(await again.write(signal(3, 8000))), ...(await again.end())];
    expect(decodeOggOpus(Buffer.concat(pages)).samples).toBe(8000);
    expect(pool.liveWorkers).toBe(1);
  });

  it('keeps a process alive while a worker has work to answer, and lets it exit when idle', () => {
    // a script with nothing else to wait for: it must print the result, then exit on its own
    const script = `
      const { OpusEncoderPool } = require(${JSON.stringify(require.resolve('./opusEncoderPool'))});
      const pool = new OpusEncoderPool({ threads: 1 });
      const w = pool.createWriter({ implementation: 'wasm', serial: 5, complexity: 0 });
      const pcm = new Int16Array(8000 * 2 * 5).map((_, i) => Math.round(8000 * Math.sin(i / 9)));
      (async () => {
        const pages = [...(await w.write(pcm)), ...(await w.end())];
        console.log('encoded ' + Buffer.concat(pages).length + ' bytes');
      })();
    `;
    const started = Date.now();
    const run = spawnSync(
      process.execPath,
      ['--require', require.resolve('@backstage/cli/config/nodeTransform.cjs'), '-e', script],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^encoded \d{3,} bytes$/m);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it('threads: 0 encodes in-thread through the same interface', async () => {
    pool = new OpusEncoderPool({ threads: 0 });
    const pcm = signal(4, 8000);
    const w = pool.createWriter(options(9));
    const file = Buffer.concat([...(await w.write(pcm)), ...(await w.end())]);
    const direct = inThreadOggOpusEncoding(options(9));
    const same = Buffer.concat([...(await direct.write(pcm)), ...(await direct.end())]);
    expect(file.equals(same)).toBe(true);
    expect(() => new OpusEncoderPool({ threads: -1 })).toThrow(/0\.\.64/);
  });
});
