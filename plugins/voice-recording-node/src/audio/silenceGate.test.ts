import { SilenceGate } from './silenceGate';
import {
  OggOpusWriter,
  decodeOggOpus,
  splitMultistreamPacket,
} from './opusFile';
import { readOggPackets, readOggPages } from './ogg';
import { mvrOpusAddon } from './opusCodec';

const RATE = 8000;

/** dBFS → amplitude of a sine with that RMS */
const sineAmp = (dbfs: number) => 32768 * 10 ** (dbfs / 20) * Math.SQRT2;

function rnd(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return (x / 0x100000000) * 2 - 1;
  };
}

/** mono: white noise at `noiseDbfs` (RMS) plus voiced bursts [from, to) in seconds */
function monoSignal(
  seconds: number,
  bursts: Array<[number, number]>,
  noiseDbfs?: number,
  seed = 1,
): Int16Array {
  const n = Math.round(seconds * RATE);
  const out = new Int16Array(n);
  const r = rnd(seed);
  const noise =
    noiseDbfs === undefined ? 0 : 32768 * 10 ** (noiseDbfs / 20) * Math.sqrt(3);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    let v = noise * r();
    for (const [a, b] of bursts) {
      if (t >= a && t < b) {
        // a vowel-like burst at about -20 dBFS with a 30 ms rise: a soft onset
        const env = Math.min(1, (t - a) / 0.03, (b - t) / 0.03);
        const f0 = 140;
        v +=
          env *
          sineAmp(-23) *
          (Math.sin(2 * Math.PI * f0 * t) +
            0.5 * Math.sin(2 * Math.PI * 3 * f0 * t) +
            0.3 * Math.sin(2 * Math.PI * 7 * f0 * t));
      }
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return out;
}

function stereo(left: Int16Array, right: Int16Array): Int16Array {
  const out = new Int16Array(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

/** the gate's decision per frame of each channel, in order */
function decisions(
  pcm: Int16Array,
  frameSamples: number,
  options: Partial<ConstructorParameters<typeof SilenceGate>[0]> = {},
): boolean[][] {
  const gate = new SilenceGate({
    sampleRate: RATE,
    frameSamples,
    channels: 2,
    ...options,
  });
  const out: boolean[][] = [[], []];
  const push = (d: boolean[] | undefined) =>
    d && d.forEach((v, c) => out[c].push(v));
  for (let f = 0; (f + 1) * frameSamples * 2 <= pcm.length; f++)
    push(
      gate.push(pcm.subarray(f * frameSamples * 2, (f + 1) * frameSamples * 2)),
    );
  for (let d = gate.flush(); d; d = gate.flush()) push(d);
  return out;
}

function level(x: Int16Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return 10 * Math.log10(s / (to - from) / (32768 * 32768) + 1e-30);
}

function channel(pcm: Int16Array, c: number): Int16Array {
  const out = new Int16Array(pcm.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = pcm[2 * i + c];
  return out;
}

describe('SilenceGate', () => {
  const F = 160; // 20 ms frames

  it('detects pauses, keeps onsets (preroll) and tails (hangover)', () => {
    // left: bursts at 1.0-1.5 s and 3.0-3.2 s; right: silent (G.711 idle-like noise, -75 dBFS)
    const left = monoSignal(5, [
      [1.0, 1.5],
      [3.0, 3.2],
    ]);
    const right = monoSignal(5, [], -75);
    const d = decisions(stereo(left, right), F);
    expect(d[0]).toHaveLength(250);
    const frame = (s: number) => Math.round((s * RATE) / F);
    // a long pause: skipped
    for (let f = 0; f < frame(1.0) - 3; f++) expect(d[0][f]).toBe(false);
    for (let f = frame(1.5) + 10; f < frame(3.0) - 3; f++)
      expect(d[0][f]).toBe(false);
    for (let f = frame(3.2) + 10; f < 250; f++) expect(d[0][f]).toBe(false);
    // 60 ms before each onset and 200 ms after each end: encoded
    for (const [a, b] of [
      [1.0, 1.5],
      [3.0, 3.2],
    ]) {
      for (let f = frame(a) - 3; f < frame(b) + 10; f++)
        expect(d[0][f]).toBe(true);
    }
    // the silent side is skipped throughout
    expect(d[1].every(v => !v)).toBe(true);
  });

  it('frames of 60 ms: at least one frame of preroll and the hangover rounded up', () => {
    const left = monoSignal(3, [[1.02, 1.3]]);
    const d = decisions(stereo(left, left), 480);
    expect(d[0]).toHaveLength(50);
    // the burst starts in frame 17 (1.02 s / 60 ms): frame 16 is the preroll
    expect(d[0].slice(0, 16).every(v => !v)).toBe(true);
    expect(d[0].slice(16, 22 + 4).every(v => v)).toBe(true); // burst to frame 21, hangover 200 ms = 4 frames
    expect(d[0].slice(26).every(v => !v)).toBe(true);
  });

  it('noise rule: background at -50 dBFS is never skipped (no pumping); at -70 dBFS it is', () => {
    const bursts: Array<[number, number]> = [
      [0.5, 1.0],
      [2.0, 2.4],
      [3.5, 3.9],
    ];
    const noisy = decisions(
      stereo(monoSignal(5, bursts, -50, 3), monoSignal(5, [], -50, 4)),
      F,
    );
    expect(noisy[0].every(v => v)).toBe(true);
    expect(noisy[1].every(v => v)).toBe(true);
    const quiet = decisions(
      stereo(monoSignal(5, bursts, -70, 3), monoSignal(5, [], -70, 4)),
      F,
    );
    expect(quiet[0].filter(v => !v).length).toBeGreaterThan(100); // of 250 frames: the pauses
    expect(quiet[1].every(v => !v)).toBe(true);
  });
});

describe('OggOpusWriter with skipSilence', () => {
  function encode(
    pcm: Int16Array,
    options: ConstructorParameters<typeof OggOpusWriter>[0],
  ): { file: Buffer; writer: OggOpusWriter } {
    const writer = new OggOpusWriter({
      serial: 7,
      complexity: 0,
      implementation: 'wasm',
      ...options,
    });
    const parts: Buffer[] = [];
    // uneven chunks: the frames straddle the writes
    for (let i = 0; i < pcm.length; i += 2 * 1234)
      parts.push(...writer.write(pcm.subarray(i, i + 2 * 1234)));
    parts.push(...writer.end());
    return { file: Buffer.concat(parts), writer };
  }

  it.each([20, 40, 60] as const)(
    'keeps the timeline exact with %i ms frames: granules, duration, one packet per frame, 1-byte DTX streams',
    frameMs => {
      const samples = 5 * RATE + 123; // not a whole number of frames
      const left = monoSignal(samples / RATE, [
        [0.8, 1.6],
        [3.1, 3.5],
      ]);
      const right = monoSignal(samples / RATE, [[2.0, 2.9]], -72, 9);
      const pcm = stereo(left, right);
      const skipped = encode(pcm, { frameMs, skipSilence: true });
      const full = encode(pcm, { frameMs });

      // the same stream layout and the same granule of every page: the timeline does not move
      const pagesSkipped = readOggPages(skipped.file);
      const pagesFull = readOggPages(full.file);
      expect(pagesSkipped.map(p => p.granule)).toEqual(
        pagesFull.map(p => p.granule),
      );
      const packets = readOggPackets(pagesSkipped).slice(2);
      expect(packets).toHaveLength(readOggPackets(pagesFull).length - 2);
      expect(packets.length).toBe(
        Math.ceil((samples + (312 * RATE) / 48000) / ((frameMs * RATE) / 1000)),
      );
      const { frames, skipped: perChannel } = skipped.writer.frameStats;
      expect(frames).toBe(packets.length);
      expect(perChannel[0]).toBeGreaterThan(frames * 0.3);
      expect(perChannel[1]).toBeGreaterThan(frames * 0.5);
      // a skipped frame is the TOC byte alone (what libopus writes for DTX)
      const dtx = packets
        .map(p => splitMultistreamPacket(p.data, 2))
        .filter(s => s[1].length === 1);
      expect(dtx.length).toBe(perChannel[1]);
      expect(skipped.file.length).toBeLessThan(full.file.length * 0.7);

      const decoded = decodeOggOpus(skipped.file);
      expect(decoded.samples).toBe(samples); // the duration is the input's, to the sample
      const dl = channel(decoded.pcm, 0);
      const fullLeft = channel(decodeOggOpus(full.file).pcm, 0);
      // the bursts decode as with every frame encoded; the pauses are silent
      for (const [a, b] of [
        [0.8, 1.6],
        [3.1, 3.5],
      ]) {
        const from = Math.round(a * RATE);
        const to = Math.round(b * RATE);
        expect(
          Math.abs(level(dl, from, to) - level(fullLeft, from, to)),
        ).toBeLessThan(1);
        // onset: the first 100 ms carry the energy the lossless input has (not clipped)
        expect(level(dl, from, from + 800)).toBeGreaterThan(
          level(left, from, from + 800) - 3,
        );
      }
      expect(
        level(dl, Math.round(2.0 * RATE), Math.round(2.9 * RATE)),
      ).toBeLessThan(-60);
    },
  );

  it('resumes after a pause as a fresh encoder would: the second burst decodes like the first', () => {
    const one = monoSignal(3, [[1.0, 2.0]]);
    const two = monoSignal(6, [
      [1.0, 2.0],
      [4.0, 5.0],
    ]);
    const a = channel(
      decodeOggOpus(
        encode(stereo(one, one), { frameMs: 60, skipSilence: true }).file,
      ).pcm,
      0,
    );
    const b = channel(
      decodeOggOpus(
        encode(stereo(two, two), { frameMs: 60, skipSilence: true }).file,
      ).pcm,
      0,
    );
    // the burst at 4 s comes after 2 s of skipped frames: same level as the first one, within 1 dB
    expect(
      Math.abs(level(b, 4 * RATE, 5 * RATE) - level(a, 1 * RATE, 2 * RATE)),
    ).toBeLessThan(1);
    expect(
      Math.abs(
        level(b, 4 * RATE, 4 * RATE + 800) -
          level(two, 4 * RATE, 4 * RATE + 800),
      ),
    ).toBeLessThan(3);
  });

  it('the native libopus binding (where built) skips the same frames on the same timeline', () => {
    if (!mvrOpusAddon()) return; // optional: scripts/build-native-opus.sh
    const left = monoSignal(4, [
      [0.5, 1.5],
      [2.6, 3.0],
    ]);
    const pcm = stereo(left, monoSignal(4, [[1.7, 2.2]], -70, 5));
    const wasm = encode(pcm, { frameMs: 60, skipSilence: true });
    const native = encode(pcm, {
      frameMs: 60,
      skipSilence: true,
      implementation: 'native',
    });
    expect(native.writer.implementation).toBe('native');
    expect(native.writer.frameStats).toEqual(wasm.writer.frameStats);
    expect(readOggPages(native.file).map(p => p.granule)).toEqual(
      readOggPages(wasm.file).map(p => p.granule),
    );
    const a = decodeOggOpus(native.file);
    expect(a.samples).toBe(4 * RATE);
    const b = decodeOggOpus(wasm.file);
    for (const [from, to] of [
      [0.5, 1.5],
      [2.6, 3.0],
    ]) {
      const f = Math.round(from * RATE);
      const t = Math.round(to * RATE);
      expect(
        Math.abs(
          level(channel(a.pcm, 0), f, t) - level(channel(b.pcm, 0), f, t),
        ),
      ).toBeLessThan(1.5);
    }
  });

  it('60 ms frames up to 32 kbit/s per stream (SILK, one frame per packet), 20 ms above', () => {
    const pcm = stereo(monoSignal(1, [[0.2, 0.8]]), monoSignal(1, [[0.3, 0.9]]));
    const low = encode(pcm, { frameMs: 60, bitrate: 64000 });
    expect(low.writer.frameMs).toBe(60);
    expect(decodeOggOpus(low.file).samples).toBe(RATE);
    const high = encode(pcm, { frameMs: 60, bitrate: 128000 });
    expect(high.writer.frameMs).toBe(20);
    expect(decodeOggOpus(high.file).samples).toBe(RATE);
  });

  it('without skipSilence the file is what it always was (no frame skipped)', () => {
    const pcm = stereo(monoSignal(2, []), monoSignal(2, []));
    const { writer } = encode(pcm, { frameMs: 20 });
    expect(writer.frameStats.skipped).toEqual([0, 0]);
  });
});
