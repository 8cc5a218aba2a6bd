import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from './g711';
import { SpeechActivityDetector, frameDbfs } from './speechActivity';

const RATE = 8000;

/** Deterministic pseudo-random numbers (no flaky tests). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A voiced-like signal: 300 ms syllables (a 180 Hz tone with harmonics) and 200 ms pauses, over a noise floor. */
function syllables(
  seconds: number,
  amplitude: number,
  noise = 30,
  seed = 1,
): Int16Array {
  const r = rng(seed);
  const out = new Int16Array(seconds * RATE);
  for (let i = 0; i < out.length; i++) {
    const inSyllable = i % 4000 < 2400;
    const t = i / RATE;
    const voiced = inSyllable
      ? amplitude *
        (0.6 * Math.sin(2 * Math.PI * 180 * t) +
          0.3 * Math.sin(2 * Math.PI * 360 * t) +
          0.1 * Math.sin(2 * Math.PI * 900 * t))
      : 0;
    out[i] = Math.round(voiced + (r() - 0.5) * 2 * noise);
  }
  return out;
}

function whiteNoise(seconds: number, amplitude: number, seed = 7): Int16Array {
  const r = rng(seed);
  return Int16Array.from({ length: seconds * RATE }, () =>
    Math.round((r() - 0.5) * 2 * amplitude),
  );
}

function analyse(channels: Int16Array[], chunk = RATE) {
  const d = new SpeechActivityDetector({
    sampleRate: RATE,
    channels: channels.length,
  });
  for (let i = 0; i < channels[0].length; i += chunk)
    d.push(channels.map(c => c.subarray(i, i + chunk)));
  return d.finish();
}

describe('SpeechActivityDetector (20 ms frames, energy + zero crossings)', () => {
  it('finds the syllables of a voiced signal (60% of the time) and nothing in digital silence', () => {
    const [talk, silent] = analyse([
      syllables(20, 8000),
      new Int16Array(20 * RATE),
    ]);
    expect(talk.frames).toBe(1000);
    expect(talk.speechShare).toBeGreaterThan(0.55);
    expect(talk.speechShare).toBeLessThan(0.65);
    expect(silent).toMatchObject({
      frames: 1000,
      speechFrames: 0,
      speechShare: 0,
      peakDbfs: -Infinity,
    });
  });

  it('the same figures whatever the window size (frames carried across pushes)', () => {
    const sig = syllables(7, 6000, 50, 3);
    const a = analyse([sig], RATE);
    const b = analyse([sig], 333);
    expect(b).toEqual(a);
  });

  it('a steady hiss is not speech, even a loud one; a quiet line noise is not speech', () => {
    const [loud, quiet] = analyse([
      whiteNoise(20, 4000),
      whiteNoise(20, 60, 9),
    ]);
    expect(loud.speechShare).toBeLessThan(0.01);
    expect(quiet.speechShare).toBe(0);
  });

  it('speech below the absolute level (-50 dBFS) is not speech: a faint crosstalk', () => {
    // amplitude 60: about -57 dBFS
    const [faint] = analyse([syllables(10, 60, 2)]);
    expect(faint.speechShare).toBe(0);
  });

  it('clipping: frames with samples at full scale, as a share of the speech frames', () => {
    const sig = syllables(10, 8000);
    // every other syllable overdriven
    for (let i = 0; i < sig.length; i++) {
      if (Math.floor(i / 4000) % 2 === 0 && i % 4000 < 2400)
        sig[i] = Math.max(-32768, Math.min(32767, sig[i] * 8));
    }
    const [ch] = analyse([sig]);
    expect(ch.clippedShare).toBeGreaterThan(0.4);
    expect(ch.clippedShare).toBeLessThan(0.6);
    const [clean] = analyse([syllables(10, 8000)]);
    expect(clean.clippedFrames).toBe(0);
  });

  it('G.711 bytes (μ-law, A-law) give the figures of their PCM', () => {
    const sig = syllables(10, 8000);
    const pcm = analyse([sig]);
    for (const law of ['pcmu', 'pcma'] as const) {
      const bytes = law === 'pcmu' ? encodeUlaw(sig) : encodeAlaw(sig);
      const d = new SpeechActivityDetector({ sampleRate: RATE, channels: 1 });
      for (let i = 0; i < bytes.length; i += RATE)
        d.pushG711([bytes.subarray(i, i + RATE)], law);
      const [g711] = d.finish();
      expect(Math.abs(g711.speechShare - pcm[0].speechShare)).toBeLessThan(
        0.02,
      );
    }
    // G.711 idle patterns are silence
    const d = new SpeechActivityDetector({ sampleRate: RATE, channels: 2 });
    d.pushG711(
      [
        new Uint8Array(RATE * 5).fill(0xff),
        new Uint8Array(RATE * 5).fill(0xd5),
      ],
      'pcmu',
    );
    d.pushG711([new Uint8Array(0), new Uint8Array(0)], 'pcma');
    const [u] = d.finish();
    expect(u.speechFrames).toBe(0);
  });

  it('G.711 bytes measured through their tables give exactly the figures of the decoded samples', () => {
    // loud syllables (clipped in places) and quiet ones, in pushes that cut frames anywhere
    const loud = syllables(6, 8000).map(v => Math.max(-32768, Math.min(32767, v * 6)));
    const sig = Int16Array.from([...loud, ...syllables(6, 8000).map(v => v >> 6)]);
    for (const law of ['pcmu', 'pcma'] as const) {
      const bytes = law === 'pcmu' ? encodeUlaw(sig) : encodeAlaw(sig);
      const decoded = law === 'pcmu' ? decodeUlaw(bytes) : decodeAlaw(bytes);
      const byCodes = new SpeechActivityDetector({ sampleRate: RATE, channels: 2 });
      const bySamples = new SpeechActivityDetector({ sampleRate: RATE, channels: 2 });
      for (let i = 0; i < bytes.length; i += 1234) {
        byCodes.pushG711([bytes.subarray(i, i + 1234), bytes.subarray(i, i + 1234).map(b => b ^ 0x80)], law);
        const d = decoded.subarray(i, i + 1234);
        bySamples.push([d, law === 'pcmu' ? decodeUlaw(bytes.subarray(i, i + 1234).map(b => b ^ 0x80)) : decodeAlaw(bytes.subarray(i, i + 1234).map(b => b ^ 0x80))]);
      }
      const codes = byCodes.finish();
      expect(codes[0].clippedFrames).toBeGreaterThan(0);
      expect(codes[0].speechFrames).toBeGreaterThan(0);
      expect(codes).toEqual(bySamples.finish());
    }
  });

  it('frame levels in dBFS', () => {
    expect(frameDbfs(0, 160)).toBe(-Infinity);
    expect(frameDbfs(32768 * 32768 * 160, 160)).toBeCloseTo(0, 6);
    expect(frameDbfs(3277 * 3277 * 160, 160)).toBeCloseTo(-20, 1);
  });
});
