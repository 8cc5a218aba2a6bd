/*
 * Test helpers: real speech generated with espeak-ng + sox, G.711 companding
 * (test-only; production code gets its G.711 decoder from src/codecs), and
 * signal comparison.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const TOOLS = { espeak: '/usr/bin/espeak-ng', sox: '/usr/bin/sox' };

/** Throws (fails the test) when espeak-ng or sox is missing: never a silent pass. */
export function requireAudioTools(): void {
  for (const [name, bin] of Object.entries(TOOLS)) {
    if (!existsSync(bin)) {
      throw new Error(
        `${bin} (${name}) is required by the audio tests to generate real speech; install espeak-ng and sox`,
      );
    }
  }
}

const cache = new Map<string, Int16Array>();

/** Speak `text` and return it as mono 16-bit PCM at `sampleRate` (8 kHz unless told). */
export function synthSpeech(text: string, voice = 'en-us', wordsPerMinute = 160, sampleRate = 8000): Int16Array {
  const id = `${voice}|${wordsPerMinute}|${sampleRate}|${text}`;
  const hit = cache.get(id);
  if (hit) return hit;
  requireAudioTools();
  const dir = mkdtempSync(path.join(tmpdir(), 'mvr-speech-'));
  try {
    const wav = path.join(dir, 'speech.wav');
    const raw = path.join(dir, 'speech.raw');
    execFileSync(TOOLS.espeak, ['-v', voice, '-s', String(wordsPerMinute), '-w', wav, text]);
    execFileSync(TOOLS.sox, [wav, '-r', String(sampleRate), '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', raw]);
    const bytes = readFileSync(raw);
    const pcm = new Int16Array(bytes.length / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
    cache.set(id, pcm);
    return pcm;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Repeat/concatenate PCM to at least `samples`. */
export function loopTo(pcm: Int16Array, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = pcm[i % pcm.length];
  return out;
}

/* ---- G.711 (ITU-T reference algorithm), for tests only ---- */

export function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > 32635) s = 32635;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; exponent--, mask >>= 1);
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function mulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const t = (((v & 0x0f) << 3) + 0x84) << ((v & 0x70) >> 4);
  return v & 0x80 ? 0x84 - t : t - 0x84;
}

const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

export function linearToAlaw(sample: number): number {
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  let seg = 0;
  while (seg < 8 && pcm > SEG_AEND[seg]) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return aval ^ mask;
}

export function alawToLinear(a: number): number {
  const v = a ^ 0x55;
  let t = (v & 0x0f) << 4;
  const seg = (v & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return v & 0x80 ? t : -t;
}

export function encodeG711(law: 'pcmu' | 'pcma', pcm: Int16Array): Uint8Array {
  const f = law === 'pcmu' ? linearToMulaw : linearToAlaw;
  return Uint8Array.from(pcm, s => f(s));
}

export function decodeG711(law: 'pcmu' | 'pcma', bytes: Uint8Array): Int16Array {
  const f = law === 'pcmu' ? mulawToLinear : alawToLinear;
  return Int16Array.from(bytes, b => f(b));
}

/* ---- comparison ---- */

/**
 * Best normalized cross-correlation of `a` and `b` over lags in [-maxLag, maxLag]
 * (b shifted by lag). Returns the value and the lag.
 */
export function bestCorrelation(a: Int16Array, b: Int16Array, maxLag = 200): { value: number; lag: number } {
  let best = { value: -Infinity, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = Math.max(0, -lag); i < a.length && i + lag < b.length; i++) {
      const x = a[i];
      const y = b[i + lag];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    const v = aa && bb ? ab / Math.sqrt(aa * bb) : 0;
    if (v > best.value) best = { value: v, lag };
  }
  return best;
}

/** Goertzel power of `pcm` at `hz` (sampled at `rate`), over the whole array. */
export function goertzelPower(pcm: Int16Array, hz: number, rate: number): number {
  const c = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s0 = pcm[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

export function rms(pcm: Int16Array): number {
  let s = 0;
  for (const x of pcm) s += x * x;
  return Math.sqrt(s / Math.max(1, pcm.length));
}

export function channel(interleaved: Int16Array, index: number, channels = 2): Int16Array {
  const out = new Int16Array(Math.floor(interleaved.length / channels));
  for (let i = 0; i < out.length; i++) out[i] = interleaved[i * channels + index];
  return out;
}
