/*
 * Which frames of a channel the Opus encoder must see and which it may skip: in a phone
 * conversation each direction is silent about half the time (the other party talks,
 * pauses), and libopus costs as much on a silent frame as on speech.
 *
 * A frame (the Opus frame, 20-60 ms) is *active* when its level (one sum of squares,
 * dBFS) reaches `silenceDbfs` (default -60 dBFS). Around activity the encoder runs
 * anyway: `prerollMs` before an active frame (the gate looks ahead: frames wait in the
 * writer until the next `prerollMs` of audio are known) and `hangoverMs` after it, so
 * word onsets, soft consonants and tails are encoded. Skipped frames are written as DTX
 * packets: the decoder conceals them, fading to silence within ~100 ms.
 *
 * The noise rule: background at or above `silenceDbfs` is audible and is encoded like
 * speech, never skipped. A decoder's concealment of skipped frames does not continue a
 * background (measured: -50 dBFS white noise fell more than 6 dB below its level, to
 * -65 dBFS and below, in 2-41 % of the 100 ms windows of the pauses), so skipping it
 * would switch the noise on and off with the talker (pumping). Only what is
 * below -60 dBFS (G.711 idle channel noise, quiet rooms, network comfort noise) is
 * skipped, where the step to digital silence is not audible on a phone line. A channel
 * with loud background therefore costs what it cost before; silenceGate.test.ts checks
 * both sides of the rule.
 *
 * Cost: one multiply-add per sample, no allocation but one small array per frame.
 */

export interface SilenceGateOptions {
  sampleRate: number;
  /** samples per frame and channel (the Opus frame) */
  frameSamples: number;
  channels: number;
  /** frames encoded before an active one (default 60 ms, at least one frame) */
  prerollMs?: number;
  /** frames encoded after an active one (default 200 ms) */
  hangoverMs?: number;
  /** a frame at least this loud is active (default -60 dBFS) */
  silenceDbfs?: number;
}

const FULL_SCALE_SQ = 32768 * 32768;

export const SILENCE_GATE_DEFAULTS = {
  prerollMs: 60,
  hangoverMs: 200,
  silenceDbfs: -60,
} as const;

/**
 * Frame-level activity with lookahead. `push` one frame of every channel (interleaved);
 * when the frame `lookahead` frames earlier is decided, it returns that frame's decision
 * per channel (true = encode), else undefined. `flush` decides the frames still waiting.
 */
export class SilenceGate {
  readonly lookahead: number;
  private readonly hangover: number;
  private readonly channels: number;
  /** sum of squares of a frame at silenceDbfs */
  private readonly activeSq: number;
  private readonly hang: number[];
  /** raw activity of the frames waiting (oldest first), per channel */
  private readonly waiting: boolean[][] = [];
  /** frames pushed / decided per channel (for statistics) */
  framesDecided = 0;
  readonly encodedFrames: number[];

  constructor(o: SilenceGateOptions) {
    const frameMs = (o.frameSamples * 1000) / o.sampleRate;
    this.channels = o.channels;
    this.lookahead = Math.max(
      1,
      Math.ceil((o.prerollMs ?? SILENCE_GATE_DEFAULTS.prerollMs) / frameMs),
    );
    this.hangover = Math.max(
      1,
      Math.ceil((o.hangoverMs ?? SILENCE_GATE_DEFAULTS.hangoverMs) / frameMs),
    );
    const silenceDbfs = o.silenceDbfs ?? SILENCE_GATE_DEFAULTS.silenceDbfs;
    this.activeSq = o.frameSamples * FULL_SCALE_SQ * 10 ** (silenceDbfs / 10);
    this.hang = new Array(o.channels).fill(0);
    this.encodedFrames = new Array(o.channels).fill(0);
  }

  /** One frame, interleaved (frameSamples × channels). */
  push(frame: Int16Array): boolean[] | undefined {
    const ch = this.channels;
    const raw: boolean[] = new Array(ch);
    for (let c = 0; c < ch; c++) {
      let sumSq = 0;
      for (let i = c; i < frame.length; i += ch) {
        const x = frame[i];
        sumSq += x * x;
      }
      raw[c] = sumSq >= this.activeSq;
    }
    this.waiting.push(raw);
    return this.waiting.length > this.lookahead ? this.decide() : undefined;
  }

  /** The decision of the oldest waiting frame (true = encode it), or undefined when none waits. */
  flush(): boolean[] | undefined {
    return this.waiting.length ? this.decide() : undefined;
  }

  private decide(): boolean[] {
    const raw = this.waiting.shift()!;
    const out: boolean[] = new Array(this.channels);
    for (let c = 0; c < this.channels; c++) {
      if (raw[c]) this.hang[c] = this.hangover;
      let encode = raw[c] || this.hang[c] > 0;
      if (!raw[c] && this.hang[c] > 0) this.hang[c]--;
      // lookahead: an active frame within the preroll
      for (let k = 0; !encode && k < this.waiting.length; k++)
        encode = this.waiting[k][c];
      out[c] = encode;
      if (encode) this.encodedFrames[c]++;
    }
    this.framesDecided++;
    return out;
  }
}
