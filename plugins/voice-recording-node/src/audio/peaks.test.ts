import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from './g711';
import { decodePeaks, encodePeaks, PeakEnvelopeBuilder, PeaksFormatError, reducePeaks, PEAKS_HEADER_BYTES } from './peaks';

/** Speech-like test signal: a tone whose loudness changes every ~37 ms, some clipping at -32768. */
function signal(n: number, seed: number): Int16Array {
  const out = new Int16Array(n);
  let amp = 0;
  for (let i = 0; i < n; i++) {
    if (i % 297 === 0) amp = ((i * 7919 + seed * 104729) % 32768) * (i % 5 === 0 ? 0 : 1);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(amp * Math.sin((i * 2 * Math.PI * (300 + seed)) / 8000))));
  }
  out[Math.floor(n / 3)] = -32768;
  return out;
}

/** The portal's decode-path definition (voice-recording-backend computePeaks), on raw PCM. */
function referencePeaks(samples: Int16Array, points: number): number[] {
  const n = Math.max(1, Math.min(points, samples.length || 1));
  const per = samples.length / n;
  return Array.from({ length: n }, (_, b) => {
    let peak = 0;
    for (let i = Math.floor(b * per); i < Math.min(samples.length, Math.floor((b + 1) * per)); i++) {
      peak = Math.max(peak, Math.abs(samples[i]));
    }
    return Math.round((peak / 32768) * 1000) / 1000;
  });
}

function build(left: Int16Array, right: Int16Array, chunk: number, bytesPerPeak: 1 | 2 = 1) {
  const b = new PeakEnvelopeBuilder({ sampleRate: 8000, samplesPerPeak: 80, channels: 2, bytesPerPeak });
  for (let i = 0; i < left.length; i += chunk) b.push([left.subarray(i, i + chunk), right.subarray(i, i + chunk)]);
  return b.finish();
}

describe('peak envelope (.peaks)', () => {
  const left = signal(8000 * 60 + 37, 1); // one minute and a partial last peak
  const right = signal(8000 * 60 + 37, 2);

  it('round trips through the binary format (uint8 and uint16), whatever the push chunking', () => {
    for (const width of [1, 2] as const) {
      const env = build(left, right, 8000, width);
      expect(env.totalSamples).toBe(left.length);
      expect(env.peaks[0]).toHaveLength(Math.ceil(left.length / 80));
      expect(build(left, right, 333, width)).toEqual(env);
      const bytes = encodePeaks(env);
      expect(bytes.length).toBe(PEAKS_HEADER_BYTES + 2 * env.peaks[0].length * width);
      expect(decodePeaks(bytes)).toEqual(env);
      // the loudest span is full scale
      expect(Math.max(...env.peaks[0])).toBe(width === 1 ? 255 : 65535);
    }
  });

  it('takes the same envelope from G.711 bytes as from their expansion, whatever the chunking', () => {
    for (const [law, encode, decode] of [
      ['pcma', encodeAlaw, decodeAlaw],
      ['pcmu', encodeUlaw, decodeUlaw],
    ] as const) {
      const l = encode(left);
      const r = encode(right);
      const fromPcm = build(decode(l), decode(r), 8000, 2);
      const b = new PeakEnvelopeBuilder({ sampleRate: 8000, samplesPerPeak: 80, channels: 2, bytesPerPeak: 2 });
      for (let i = 0; i < l.length; i += 333) b.pushG711([l.subarray(i, i + 333), r.subarray(i, i + 333)], law);
      const env = b.finish();
      expect(env).toEqual(fromPcm);
      expect(Math.max(...env.peaks[0])).toBeGreaterThan(60000);
    }
    const b = new PeakEnvelopeBuilder({ sampleRate: 8000, samplesPerPeak: 80, channels: 2 });
    expect(() => b.pushG711([new Uint8Array(10)], 'pcma')).toThrow(/push of 1 channels to a 2-channel envelope/);
  });

  it('reduces to N points like computePeaks on the same PCM, within 1/255', () => {
    const env = decodePeaks(encodePeaks(build(left, right, 8000)));
    for (const points of [10, 200, 1000, 6000]) {
      const got = reducePeaks(env, points);
      expect(got).toHaveLength(2);
      [left, right].forEach((pcm, ch) => {
        const want = referencePeaks(pcm, points);
        expect(got[ch]).toHaveLength(want.length);
        // a bucket may see up to one 10 ms span of its neighbour: compare against the
        // reference widened by one span on each side, and the exact one from below
        for (let i = 0; i < want.length; i++) {
          const per = pcm.length / want.length;
          const lo = Math.max(0, Math.floor(Math.floor(i * per) / 80) * 80);
          const hi = Math.min(pcm.length, Math.ceil(Math.floor((i + 1) * per) / 80) * 80);
          let widened = 0;
          for (let k = lo; k < hi; k++) widened = Math.max(widened, Math.abs(pcm[k]));
          expect(got[ch][i]).toBeGreaterThanOrEqual(want[i] - 1 / 255);
          expect(got[ch][i]).toBeLessThanOrEqual(Math.round((widened / 32768) * 1000) / 1000 + 1 / 255);
        }
      });
    }
    // buckets on span boundaries: equal to computePeaks within 1/255
    const exact = left.subarray(0, 8000 * 60);
    const envExact = build(exact, exact, 4000);
    for (const points of [10, 100, 600, 3000, 6000]) {
      const got = reducePeaks(envExact, points)[0];
      const want = referencePeaks(exact, points);
      expect(got).toHaveLength(want.length);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1 / 255);
    }
  });

  it('more points than peaks: each bucket repeats its peak (points capped at the sample count)', () => {
    const short = signal(400, 3);
    const env = build(short, short, 400);
    const got = reducePeaks(env, 1000)[0];
    expect(got).toHaveLength(400);
    expect(got.every(v => v >= 0 && v <= 1)).toBe(true);
    expect(reducePeaks(build(new Int16Array(0), new Int16Array(0), 1), 100)).toEqual([[0], [0]]);
  });

  it('rejects corrupt input with a clear error naming what and where', () => {
    const good = encodePeaks(build(left, right, 8000));
    const expectError = (bytes: Uint8Array, re: RegExp) => {
      expect(() => decodePeaks(bytes, 'recordings/x.opus.peaks')).toThrow(PeaksFormatError);
      expect(() => decodePeaks(bytes, 'recordings/x.opus.peaks')).toThrow(re);
    };
    expectError(good.subarray(0, 10), /^recordings\/x\.opus\.peaks: 10 bytes, shorter than the 32-byte header/);
    expectError(good.subarray(0, good.length - 1), /bytes, want/);
    const bad = (at: number, value: number) => {
      const b = Buffer.from(good);
      b[at] = value;
      return b;
    };
    expectError(bad(0, 0x4f), /bad magic "OVRP" at byte 0/);
    expectError(bad(4, 9), /unsupported version 9 at byte 4/);
    expectError(bad(5, 3), /bytes per peak 3 at byte 5/);
    expectError(bad(6, 0), /channel count 0 at byte 6/);
    expectError(bad(16, good[16] ^ 1), /count \d+ at byte 16 does not match/);
    expectError(bad(PEAKS_HEADER_BYTES + 100, good[PEAKS_HEADER_BYTES + 100] ^ 0x10), /CRC-32 mismatch/);
    expect(() => new PeakEnvelopeBuilder({ sampleRate: 8000, samplesPerPeak: 0, channels: 2 })).toThrow(/samplesPerPeak/);
  });
});
