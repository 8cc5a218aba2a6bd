/*
 * Speech activity of a recording's channels, measured when a call is archived (never
 * on the RTP path): each channel is cut in 20 ms frames, and a frame holds speech when
 * its energy stands clearly above the channel's noise floor and above an absolute
 * level, with a stricter margin for noise-like frames (many zero crossings: hiss,
 * line noise). The floor follows the quietest frames at once and rises slowly
 * (5 dB/s), so a steady noise never counts as speech for long and a talker's
 * syllables stay above it. Clipping: frames with several samples at full scale.
 *
 * Cost: a few operations per sample (sum of squares, sign, magnitude), no allocation
 * per frame: see bench/qualityAnalysis.js. G.711 bytes are measured through tables of
 * their codes (square, sign, clipping), without decoding them first.
 */
import { ALAW_DECODE_TABLE, ULAW_DECODE_TABLE } from './g711';

export interface SpeechActivityOptions {
  sampleRate: number;
  channels: number;
  /** frame length (default 20 ms) */
  frameMs?: number;
  /** a frame quieter than this is never speech (dBFS, default -50) */
  minSpeechDbfs?: number;
  /** a frame must stand this far above the noise floor to be speech (dB, default 10) */
  marginDb?: number;
}

/** One channel's figures over the whole recording. */
export interface ChannelSpeechActivity {
  /** 20 ms frames analysed */
  frames: number;
  /** frames judged to hold speech */
  speechFrames: number;
  /** speechFrames / frames (0 when there are no frames) */
  speechShare: number;
  /** frames with at least 3 samples at full scale (|x| >= 32000) */
  clippedFrames: number;
  /** clippedFrames / speechFrames (0 without speech), at most 1 */
  clippedShare: number;
  /** loudest frame's level (dBFS), -Infinity for digital silence */
  peakDbfs: number;
}

const FULL_SCALE = 32768 * 32768;
const CLIP_LEVEL = 32000;
const CLIP_SAMPLES = 3;
/** noise-like frames (zero-crossing rate above this) need a wider margin */
const NOISY_ZCR = 0.45;
const NOISY_EXTRA_DB = 10;
/** floor rise per frame when the frame is louder than it (dB) */
const FLOOR_RISE_DB_PER_SECOND = 5;
const FLOOR_MIN_DBFS = -90;

/** Per G.711 code: its sample's square, whether it is negative, whether it is clipped. */
interface G711Tables {
  square: Float64Array;
  negative: Uint8Array;
  clipping: Uint8Array;
}

function g711Tables(decode: ArrayLike<number>): G711Tables {
  const t = { square: new Float64Array(256), negative: new Uint8Array(256), clipping: new Uint8Array(256) };
  for (let b = 0; b < 256; b++) {
    const x = decode[b];
    t.square[b] = x * x;
    t.negative[b] = x < 0 ? 1 : 0;
    t.clipping[b] = x >= CLIP_LEVEL || x <= -CLIP_LEVEL ? 1 : 0;
  }
  return t;
}

const ALAW_TABLES = g711Tables(ALAW_DECODE_TABLE);
const ULAW_TABLES = g711Tables(ULAW_DECODE_TABLE);

interface ChannelState {
  sumSq: number;
  crossings: number;
  clipped: number;
  count: number;
  prevNegative: boolean;
  floor: number;
  frames: number;
  speechFrames: number;
  clippedFrames: number;
  peakDb: number;
}

/** Frame level in dBFS (0 dBFS = a square wave at full scale). */
export function frameDbfs(sumSq: number, samples: number): number {
  if (samples === 0 || sumSq === 0) return -Infinity;
  return 10 * Math.log10(sumSq / samples / FULL_SCALE);
}

/** Streams a recording's channels through the speech detector, window by window. */
export class SpeechActivityDetector {
  private readonly frameSamples: number;
  private readonly minDb: number;
  private readonly marginDb: number;
  private readonly riseDb: number;
  private readonly state: ChannelState[];

  constructor(options: SpeechActivityOptions) {
    this.frameSamples = Math.max(
      1,
      Math.round((options.sampleRate * (options.frameMs ?? 20)) / 1000),
    );
    this.minDb = options.minSpeechDbfs ?? -50;
    this.marginDb = options.marginDb ?? 10;
    this.riseDb = (FLOOR_RISE_DB_PER_SECOND * (options.frameMs ?? 20)) / 1000;
    this.state = Array.from({ length: options.channels }, () => ({
      sumSq: 0,
      crossings: 0,
      clipped: 0,
      count: 0,
      prevNegative: false,
      floor: NaN,
      frames: 0,
      speechFrames: 0,
      clippedFrames: 0,
      peakDb: -Infinity,
    }));
  }

  /** The next samples of each channel (16-bit PCM; the arrays may differ in length). */
  push(channels: ArrayLike<number>[]): void {
    for (let c = 0; c < this.state.length && c < channels.length; c++)
      this.pushChannel(this.state[c], channels[c]);
  }

  /**
   * The next G.711 bytes of each channel, measured without decoding them: each code's
   * square, sign and clipping come from tables (the same figures as `push` of the decoded
   * samples, exactly: the squares are integers).
   */
  pushG711(channels: Uint8Array[], law: 'pcmu' | 'pcma'): void {
    const t = law === 'pcmu' ? ULAW_TABLES : ALAW_TABLES;
    for (let c = 0; c < this.state.length && c < channels.length; c++)
      this.pushCodes(this.state[c], channels[c], t);
  }

  private pushCodes(s: ChannelState, bytes: Uint8Array, t: G711Tables): void {
    const n = this.frameSamples;
    const { square, negative: neg, clipping } = t;
    let { sumSq, crossings, clipped, count } = s;
    let prev = s.prevNegative ? 1 : 0;
    const len = bytes.length;
    // frame by frame, without a branch per sample: a sign change counts as a crossing
    // except on a frame's first sample (as in pushChannel)
    let i = 0;
    while (i < len) {
      const end = Math.min(len, i + (n - count));
      let k = i;
      if (count === 0) {
        const b = bytes[k++];
        sumSq += square[b];
        prev = neg[b];
        clipped += clipping[b];
      }
      for (; k < end; k++) {
        const b = bytes[k];
        sumSq += square[b];
        const negative = neg[b];
        crossings += negative ^ prev;
        prev = negative;
        clipped += clipping[b];
      }
      count += end - i;
      i = end;
      if (count === n) {
        this.closeFrame(s, sumSq, crossings, clipped, count);
        sumSq = 0;
        crossings = 0;
        clipped = 0;
        count = 0;
      }
    }
    s.sumSq = sumSq;
    s.crossings = crossings;
    s.clipped = clipped;
    s.count = count;
    s.prevNegative = prev === 1;
  }

  private pushChannel(s: ChannelState, pcm: ArrayLike<number>): void {
    const n = this.frameSamples;
    let { sumSq, crossings, clipped, count, prevNegative } = s;
    for (let i = 0; i < pcm.length; i++) {
      const x = pcm[i];
      sumSq += x * x;
      const negative = x < 0;
      if (negative !== prevNegative && count > 0) crossings++;
      prevNegative = negative;
      if (x >= CLIP_LEVEL || x <= -CLIP_LEVEL) clipped++;
      if (++count === n) {
        this.closeFrame(s, sumSq, crossings, clipped, count);
        sumSq = 0;
        crossings = 0;
        clipped = 0;
        count = 0;
      }
    }
    s.sumSq = sumSq;
    s.crossings = crossings;
    s.clipped = clipped;
    s.count = count;
    s.prevNegative = prevNegative;
  }

  private closeFrame(
    s: ChannelState,
    sumSq: number,
    crossings: number,
    clipped: number,
    count: number,
  ): void {
    const db = frameDbfs(sumSq, count);
    const level = Math.max(db, FLOOR_MIN_DBFS);
    if (Number.isNaN(s.floor) || level < s.floor) s.floor = level;
    const zcr = crossings / count;
    const margin = this.marginDb + (zcr > NOISY_ZCR ? NOISY_EXTRA_DB : 0);
    const speech = db >= this.minDb && db >= s.floor + margin;
    // the floor rises slowly towards louder frames (a steady noise becomes the floor)
    if (level > s.floor) s.floor = Math.min(level, s.floor + this.riseDb);
    s.frames++;
    if (speech) s.speechFrames++;
    if (clipped >= CLIP_SAMPLES) s.clippedFrames++;
    if (db > s.peakDb) s.peakDb = db;
  }

  /** The figures of every channel (a last partial frame of at least half a frame counts). */
  finish(): ChannelSpeechActivity[] {
    return this.state.map(s => {
      if (s.count >= this.frameSamples / 2)
        this.closeFrame(s, s.sumSq, s.crossings, s.clipped, s.count);
      s.sumSq = 0;
      s.crossings = 0;
      s.clipped = 0;
      s.count = 0;
      return {
        frames: s.frames,
        speechFrames: s.speechFrames,
        speechShare: s.frames ? s.speechFrames / s.frames : 0,
        clippedFrames: s.clippedFrames,
        clippedShare: s.speechFrames
          ? Math.min(1, s.clippedFrames / s.speechFrames)
          : 0,
        peakDbfs: s.peakDb,
      };
    });
  }
}
