import { goertzelPower } from '../audio/__testUtils__/speech';
import { G722Decoder, G722Encoder } from './g722';

const RATE = 16000;

function sine(freq: number, amplitude: number, samples: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, n) => Math.round(amplitude * Math.sin((2 * Math.PI * freq * n) / RATE)));
}

/** SNR (dB) of `decoded` against `input` at the best delay in 0..64 samples, skipping warm-up. */
function bestSnr(input: Int16Array, decoded: Int16Array): { snr: number; delay: number } {
  let best = { snr: -Infinity, delay: 0 };
  for (let delay = 0; delay <= 64; delay++) {
    let sig = 0;
    let noise = 0;
    for (let n = 2000; n < input.length - delay; n++) {
      const e = decoded[n + delay] - input[n];
      sig += input[n] * input[n];
      noise += e * e;
    }
    const snr = 10 * Math.log10(sig / Math.max(noise, 1e-9));
    if (snr > best.snr) best = { snr, delay };
  }
  return best;
}

/** Encoder + decoder QMF delay, in 16 kHz samples (measured below on broadband noise). */
const QMF_DELAY = 22;

function snrAt(input: Int16Array, decoded: Int16Array, delay: number): number {
  let sig = 0;
  let noise = 0;
  for (let n = 2000; n < input.length - delay; n++) {
    const e = decoded[n + delay] - input[n];
    sig += input[n] * input[n];
    noise += e * e;
  }
  return 10 * Math.log10(sig / Math.max(noise, 1e-9));
}

/** Goertzel power at `freq`, after the first 2000 samples (the codec's settling). */
function power(x: Int16Array, freq: number): number {
  return goertzelPower(x.subarray(2000), freq, RATE);
}

function roundTrip(input: Int16Array, frame = 320): Int16Array {
  const enc = new G722Encoder();
  const dec = new G722Decoder();
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i += frame) {
    const bytes = enc.encode(input.subarray(i, i + frame));
    expect(bytes.length).toBe(Math.min(frame, input.length - i) / 2);
    out.set(dec.decode(bytes), i);
  }
  return out;
}

describe('G.722 64 kbit/s', () => {
  it.each([
    [1000, 10000],
    [440, 12000],
    [300, 3000],
    [2500, 8000],
  ])('a %d Hz sine (amplitude %d) decodes with SNR > 30 dB at the same frequency', (freq, amp) => {
    const input = sine(freq, amp, RATE);
    const out = roundTrip(input);
    expect(snrAt(input, out, QMF_DELAY)).toBeGreaterThan(30);
    // frequency preserved: the tone dominates its neighbours by far
    const p = power(out, freq);
    for (const other of [freq / 2, freq * 1.5, freq * 2]) {
      expect(p / power(out, other)).toBeGreaterThan(1000);
    }
  });

  it('delays broadband signals by the QMF delay of 22 samples', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5;
    const input = new Int16Array(RATE);
    let y = 0;
    for (let i = 0; i < input.length; i++) {
      y = 0.7 * y + 6000 * rnd();
      input[i] = Math.round(y);
    }
    const { snr, delay } = bestSnr(input, roundTrip(input));
    expect(delay).toBe(QMF_DELAY);
    expect(snr).toBeGreaterThan(15);
  });

  it('carries a high-band tone (6 kHz) through the upper sub-band', () => {
    const input = sine(6000, 8000, RATE);
    const out = roundTrip(input);
    expect(snrAt(input, out, QMF_DELAY)).toBeGreaterThan(15); // 2-bit high band
    expect(power(out, 6000) / power(out, 2000)).toBeGreaterThan(100);
  });

  it('decodes silence to near silence and is deterministic across frame splits', () => {
    const silent = roundTrip(new Int16Array(3200));
    expect(Math.max(...silent.map(Math.abs))).toBeLessThan(50);
    const input = sine(1000, 10000, 4000);
    expect([...roundTrip(input, 320)]).toEqual([...roundTrip(input, 40)]);
  });

  it('never throws and stays bounded on arbitrary bytes', () => {
    let seed = 7;
    const bytes = Uint8Array.from({ length: 50_000 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    const out = new G722Decoder().decode(bytes);
    expect(out.length).toBe(100_000);
    expect(Math.max(...out.subarray(0, 50_000).map(Math.abs))).toBeLessThanOrEqual(32768);
  });
});
