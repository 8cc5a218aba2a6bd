/*
 * Two-party phone conversations from real speech, for the archive's tests and the load
 * bench's conversation mode (bench/recorderLoad.js --audio conversation).
 *
 * Each party's lines are spoken by espeak-ng (two different voices) and resampled to
 * 8 kHz by sox, once: the PCM is cached in `cacheDir` (one raw file per line, named by a
 * hash of voice and text). A conversation is then laid out in memory, deterministically
 * from its seed: the parties take turns, with pauses of 0.25-0.75 s between turns, now and
 * then a longer silence (2-3 s) or the same party going on after a pause, and double
 * talk (the next party starts 0.6-1.6 s before the other has finished). Each direction
 * holds speech about 40-50 % of the time (measured, see `speechShare`). Optional
 * background noise (white, at `noiseDbfs`) on both sides.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import * as path from 'node:path';

const TOOLS = { espeak: '/usr/bin/espeak-ng', sox: '/usr/bin/sox' };

const LINES: Record<'left' | 'right', string[]> = {
  left: [
    'Good morning, I would like to place an order for the bond fund we discussed yesterday.',
    'Yes, two million euros, at the market price if possible.',
    'What is the settlement date for that?',
    'Fine. And can you send me the confirmation by email before noon?',
    'I also want to reduce our position in the technology index by ten percent.',
    'No limit on that one, just execute it during the morning session.',
    'Thank you. Please call me back when both orders are filled.',
    'One more thing: the client asked about the currency hedge for next quarter.',
    'Let us keep it at the current level for now.',
    'Perfect, that is all for today. Speak to you later.',
  ],
  right: [
    'Good morning. Of course, let me pull up the details.',
    'The current price is one hundred and two point five. Shall I go ahead?',
    'Settlement is two business days from today, so Thursday.',
    'Certainly, you will have it within the hour.',
    'Understood. Do you want a limit price on the index sale?',
    'All right, I will work the order through the morning and report back.',
    'Will do. Anything else I can help you with?',
    'The hedge is at eighty percent of the exposure at the moment.',
    'Noted, no change to the hedge then.',
    'Thank you, have a good day.',
  ],
};

const VOICES = {
  left: { voice: 'en-us', pitch: 40, wpm: 160 },
  right: { voice: 'en-gb+f3', pitch: 60, wpm: 140 },
};

export interface ConversationAudio {
  sampleRate: 8000;
  /** recorded user's side (16-bit PCM) */
  left: Int16Array;
  /** other party's side */
  right: Int16Array;
  /** share of 20 ms frames at or above -50 dBFS, per side (noise excluded: measured before it is added) */
  speechShare: [number, number];
  /** seconds during which both sides speak */
  doubleTalkSeconds: number;
}

export interface ConversationOptions {
  seconds: number;
  seed: number;
  /** where the spoken lines are kept (created when missing) */
  cacheDir: string;
  /** white background noise on both sides at this RMS level (dBFS); none when absent */
  noiseDbfs?: number;
}

/** Throws (fails the test or the bench) when espeak-ng or sox is missing. */
export function requireSpeechTools(): void {
  for (const [name, bin] of Object.entries(TOOLS)) {
    if (!existsSync(bin))
      throw new Error(
        `${bin} (${name}) is required to generate the conversations' speech; install espeak-ng and sox`,
      );
  }
}

function spoken(
  side: 'left' | 'right',
  text: string,
  cacheDir: string,
): Int16Array {
  const v = VOICES[side];
  const id = createHash('sha256')
    .update(`${v.voice}|${v.pitch}|${v.wpm}|0.9|${text}`)
    .digest('hex')
    .slice(0, 24);
  const file = path.join(cacheDir, `${id}.s16le`);
  if (!existsSync(file)) {
    requireSpeechTools();
    mkdirSync(cacheDir, { recursive: true });
    const wav = `${file}.${process.pid}.wav`;
    const raw = `${file}.${process.pid}.raw`;
    try {
      execFileSync(TOOLS.espeak, [
        '-v',
        v.voice,
        '-p',
        String(v.pitch),
        '-s',
        String(v.wpm),
        '-w',
        wav,
        text,
      ]);
      execFileSync(TOOLS.sox, [
        '-v',
        '0.9',
        wav,
        '-r',
        '8000',
        '-c',
        '1',
        '-b',
        '16',
        '-e',
        'signed-integer',
        '-t',
        'raw',
        raw,
      ]);
      renameSync(raw, file);
    } finally {
      rmSync(wav, { force: true });
      rmSync(raw, { force: true });
    }
  }
  const bytes = readFileSync(file);
  const pcm = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
  return trim(pcm);
}

/** espeak's leading and trailing silence off (the pauses are laid out here) */
function trim(pcm: Int16Array): Int16Array {
  let a = 0;
  let b = pcm.length;
  while (a < b && Math.abs(pcm[a]) < 64) a++;
  while (b > a && Math.abs(pcm[b - 1]) < 64) b--;
  return pcm.subarray(a, b);
}

/** Pre-generate every line (e.g. once before a benchmark). */
export function warmConversationCache(cacheDir: string): void {
  for (const side of ['left', 'right'] as const)
    for (const line of LINES[side]) spoken(side, line, cacheDir);
}

function frameActivity(x: Int16Array): boolean[] {
  const out: boolean[] = [];
  const threshold = 160 * 32768 * 32768 * 10 ** (-50 / 10);
  for (let f = 0; f + 160 <= x.length; f += 160) {
    let s = 0;
    for (let i = f; i < f + 160; i++) s += x[i] * x[i];
    out.push(s >= threshold);
  }
  return out;
}

export function buildConversation(o: ConversationOptions): ConversationAudio {
  const n = Math.round(o.seconds * 8000);
  const acc = { left: new Float64Array(n), right: new Float64Array(n) };
  let x = (o.seed * 2654435761) >>> 0 || 1;
  const rnd = () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 0x100000000;
  };
  const next = {
    left: Math.floor(rnd() * LINES.left.length),
    right: Math.floor(rnd() * LINES.right.length),
  };
  let side: 'left' | 'right' = rnd() < 0.5 ? 'left' : 'right';
  let t = Math.round((0.2 + rnd() * 0.4) * 8000);
  while (t < n) {
    const line = LINES[side][next[side]++ % LINES[side].length];
    const pcm = spoken(side, line, o.cacheDir);
    const dst = acc[side];
    for (let i = 0; i < pcm.length && t + i < n; i++) dst[t + i] += pcm[i];
    const end = t + pcm.length;
    const r = rnd();
    let gap: number;
    let switchSide = true;
    if (r < 0.2)
      gap =
        -(0.6 + rnd()) * 8000; // double talk: the other starts before the end
    else if (r < 0.28) gap = (2 + rnd()) * 8000; // a longer silence
    else if (r < 0.42) {
      gap = (0.4 + rnd() * 0.6) * 8000; // the same party goes on
      switchSide = false;
    } else gap = (0.25 + rnd() * 0.5) * 8000;
    if (switchSide) side = side === 'left' ? 'right' : 'left';
    t = Math.max(Math.round(end + gap), t + 8000);
  }
  const clip = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v)));
  const left = Int16Array.from(acc.left, clip);
  const right = Int16Array.from(acc.right, clip);
  const al = frameActivity(left);
  const ar = frameActivity(right);
  let both = 0;
  for (let f = 0; f < al.length; f++) if (al[f] && ar[f]) both++;
  const share = (a: boolean[]) =>
    a.filter(Boolean).length / Math.max(1, a.length);
  if (o.noiseDbfs !== undefined) {
    const amp = 32768 * 10 ** (o.noiseDbfs / 20) * Math.sqrt(3); // uniform noise of that RMS
    for (const pcm of [left, right])
      for (let i = 0; i < n; i++) pcm[i] = clip(pcm[i] + amp * (2 * rnd() - 1));
  }
  return {
    sampleRate: 8000,
    left,
    right,
    speechShare: [share(al), share(ar)],
    doubleTalkSeconds: (both * 160) / 8000,
  };
}

/** Interleave two sides into stereo PCM (left, right). */
export function interleaveSides(
  left: Int16Array,
  right: Int16Array,
): Int16Array {
  const out = new Int16Array(Math.min(left.length, right.length) * 2);
  for (let i = 0; i < out.length / 2; i++) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

/** Cache directory for the bench and tests: node_modules/.cache/mvr-bench/conversation-v1 of the repository. */
export function defaultConversationCacheDir(): string {
  return path.resolve(
    __dirname,
    '../../../../../node_modules/.cache/mvr-bench/conversation-v1',
  );
}
