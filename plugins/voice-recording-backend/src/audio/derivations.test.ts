import { readdirSync, readFileSync } from 'node:fs';
import { OggOpusWriter } from '@mvr/plugin-voice-recording-node';
import {
  AudioDerivations,
  DERIVATION_THREAD_NICE,
  deriveAudio,
} from './derivations';
import { readMp3Frames } from './mp3';

jest.setTimeout(120_000);

/** `seconds` of two-party audio (alternating tones), Ogg/Opus as the recorder writes it. */
function call(seconds: number): Buffer {
  const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2, complexity: 0 });
  const chunks: Buffer[] = [];
  const block = new Int16Array(8000 * 2);
  for (let s = 0; s < seconds; s++) {
    const talking = Math.floor(s / 5) % 2;
    for (let i = 0; i < 8000; i++) {
      block[i * 2] = talking ? Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000)) : 0;
      block[i * 2 + 1] = talking ? 0 : Math.round(6000 * Math.sin((2 * Math.PI * 450 * i) / 8000));
    }
    chunks.push(...writer.write(block));
  }
  chunks.push(...writer.end());
  return Buffer.concat(chunks);
}

/** Largest pause of the event loop (timer ticks every 5 ms) while `work` runs. */
async function eventLoopStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  try {
    const result = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { result, stallMs };
  } finally {
    clearInterval(timer);
  }
}

describe('AudioDerivations', () => {
  const ten = call(600); // ten minutes
  const derivations = new AudioDerivations();
  afterAll(() => derivations.close());

  it('gives on the worker thread what the calling thread computes, without stalling the event loop', async () => {
    // warm the worker up (thread start, TypeScript loader) on a short call
    await derivations.run(call(2), { op: 'waveform', kind: 'opus', points: 10 });

    const started = performance.now();
    const local = deriveAudio(Buffer.from(ten), { op: 'waveform', kind: 'opus', points: 500 });
    const blockingMs = performance.now() - started;
    expect(local.durationMs).toBe(600_000);

    const { result, stallMs } = await eventLoopStall(() =>
      derivations.run(Buffer.from(ten), { op: 'waveform', kind: 'opus', points: 500 }),
    );
    expect(result.peaks).toEqual(local.peaks);
    expect(result.durationMs).toBe(600_000);
    // the silent half of each channel is silent in its peaks, the other half is not
    expect(Math.min(...result.peaks![0])).toBeLessThan(0.01);
    expect(Math.max(...result.peaks![0])).toBeGreaterThan(0.1);
    // in-thread, the event loop stops for the whole decode (blockingMs); on the worker
    // it only misses a few ticks (generous: the test machine is shared)
    // eslint-disable-next-line no-console
    console.log(`10 min of Opus -> waveform: ${blockingMs.toFixed(0)} ms on the event loop; on the worker the event loop stalled at most ${stallMs.toFixed(0)} ms`);
    expect(blockingMs).toBeGreaterThan(200);
    expect(stallMs).toBeLessThan(blockingMs / 3);
  });

  it('runs its thread at a lower CPU priority (Linux)', async () => {
    await derivations.run(call(1), { op: 'waveform', kind: 'opus', points: 10 });
    const niceOfThreads = readdirSync('/proc/self/task').map(tid => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // fields after the command name (in parentheses): nice is the 19th field
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
    expect(niceOfThreads).toContain(DERIVATION_THREAD_NICE);
    expect(niceOfThreads).toContain(0); // the event loop's thread is untouched
  });

  it('derives the 16-bit WAV and the MP3 (byte-identical to the calling thread)', async () => {
    const short = call(20);
    const wav = await derivations.run(Buffer.from(short), { op: 'wav', kind: 'opus' });
    expect(Buffer.isBuffer(wav.bytes)).toBe(true);
    expect(Buffer.compare(wav.bytes as Buffer, deriveAudio(short, { op: 'wav', kind: 'opus' }).bytes as Buffer)).toBe(0);
    expect((wav.bytes as Buffer).subarray(0, 4).toString()).toBe('RIFF');
    expect(((wav.bytes as Buffer).length - 44) / (8000 * 4)).toBeCloseTo(20, 1);

    const job = { op: 'mp3', kind: 'opus', kbps: 32, tags: { title: 'worker' } } as const;
    const mp3 = await derivations.run(Buffer.from(short), job);
    expect(Buffer.compare(mp3.bytes as Buffer, deriveAudio(short, job).bytes as Buffer)).toBe(0);
    expect(Math.abs(readMp3Frames(mp3.bytes as Buffer).durationMs - 20_000)).toBeLessThan(1000);
  });

  it('fails a job on a bad file with the decoder message, and keeps serving the next ones', async () => {
    await expect(
      derivations.run(Buffer.from('not an ogg file at all'), { op: 'waveform', kind: 'opus', points: 10 }),
    ).rejects.toThrow(/Ogg/);
    await expect(
      derivations.run(call(1), { op: 'nope', kind: 'opus' } as any),
    ).rejects.toThrow('unknown audio derivation "nope"');
    const ok = await derivations.run(call(3), { op: 'waveform', kind: 'opus', points: 10 });
    expect(ok.durationMs).toBe(3000);
  });

  it('fails the running jobs when closed, and starts a new worker for the next job', async () => {
    const running = derivations.run(Buffer.from(ten), { op: 'wav', kind: 'opus' });
    await new Promise(r => setTimeout(r, 50));
    await derivations.close();
    await expect(running).rejects.toThrow(/exited|terminated/);
    const again = await derivations.run(call(2), { op: 'waveform', kind: 'opus', points: 10 });
    expect(again.durationMs).toBe(2000);
  });
});
