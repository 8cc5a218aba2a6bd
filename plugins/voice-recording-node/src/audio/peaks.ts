/*
 * Peak envelope sidecar (`<storageKey>.peaks`): the recorder computes it while it
 * renders the archive, the portal reduces it to the waveform of the conversation page
 * instead of decoding the whole recording. A derived artefact, not evidence: it is not
 * covered by the archive's SHA-256, and a reader must fall back to decoding the audio
 * when it is missing or rejected.
 *
 * Binary layout, little-endian (version 1), 32-byte header:
 *
 *   0  4  magic "MVRP"
 *   4  u8  version (1)
 *   5  u8  bytes per peak: 1 (uint8, 0..255) or 2 (uint16, 0..65535)
 *   6  u8  channels (1..8; the archive: 2, left = recorded party, right = other party)
 *   7  u8  reserved (0)
 *   8  u32 sample rate of the audio the peaks were taken from (Hz)
 *  12  u32 samples per peak (e.g. 80 = 10 ms at 8 kHz)
 *  16  u32 count: peaks per channel = ceil(totalSamples / samplesPerPeak)
 *  20  u64 totalSamples per channel (the last peak may cover fewer samples)
 *  28  u32 CRC-32 (IEEE) of the peak bytes
 *  32  peaks, channel after channel: channels x count values
 *
 * A peak is the largest absolute 16-bit sample of its span, scaled linearly so that
 * full scale (32768) is the largest value of the width and rounded to nearest.
 */

export const PEAKS_MAGIC = 'MVRP';
export const PEAKS_VERSION = 1;
export const PEAKS_HEADER_BYTES = 32;
import { ALAW_DECODE_TABLE, ULAW_DECODE_TABLE } from './g711';

/** |sample| of each G.711 byte */
const G711_ABS = {
  pcma: Uint16Array.from(ALAW_DECODE_TABLE, v => Math.abs(v)),
  pcmu: Uint16Array.from(ULAW_DECODE_TABLE, v => Math.abs(v)),
};

export const PEAKS_CONTENT_TYPE = 'application/vnd.mvr.peaks';

export interface PeakEnvelope {
  sampleRate: number;
  samplesPerPeak: number;
  /** samples per channel the envelope covers */
  totalSamples: number;
  /** 1: uint8 peaks, 2: uint16 peaks */
  bytesPerPeak: 1 | 2;
  /** per channel, `count` peaks each, 0..(bytesPerPeak === 1 ? 255 : 65535) */
  peaks: Array<Uint8Array | Uint16Array>;
}

export class PeaksFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeaksFormatError';
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function maxOf(bytesPerPeak: 1 | 2): number {
  return bytesPerPeak === 1 ? 255 : 65535;
}

/**
 * Builds the envelope from PCM pushed in chunks of any length (the same number of
 * samples for every channel in one push).
 */
export class PeakEnvelopeBuilder {
  private readonly out: number[][];
  private readonly current: number[];
  private inPeak = 0;
  private total = 0;

  constructor(
    private readonly options: {
      sampleRate: number;
      samplesPerPeak: number;
      channels: number;
      bytesPerPeak?: 1 | 2;
    },
  ) {
    const { sampleRate, samplesPerPeak, channels } = options;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
      throw new PeaksFormatError(`peaks: sampleRate must be a positive integer, got ${sampleRate}`);
    }
    if (!Number.isInteger(samplesPerPeak) || samplesPerPeak <= 0) {
      throw new PeaksFormatError(`peaks: samplesPerPeak must be a positive integer, got ${samplesPerPeak}`);
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
      throw new PeaksFormatError(`peaks: channels must be 1..8, got ${channels}`);
    }
    this.out = Array.from({ length: channels }, () => []);
    this.current = new Array(channels).fill(0);
  }

  push(channels: ArrayLike<number>[]): void {
    this.walk(channels, (s, from, to, running) => {
      let peak = running;
      for (let k = from; k < to; k++) {
        const v = s[k] < 0 ? -s[k] : s[k];
        if (v > peak) peak = v;
      }
      return peak;
    });
  }

  /**
   * Same as `push` for G.711 bytes (A-law or μ-law), without expanding them: the peak of
   * each span is taken through a table of the codes' absolute values.
   */
  pushG711(channels: Uint8Array[], law: 'pcma' | 'pcmu'): void {
    const abs = G711_ABS[law];
    const n = this.checkPush(channels);
    const spp = this.options.samplesPerPeak;
    // channel by channel in one loop each (no call per span: this runs over every
    // sample of every lossless recording); the same envelope as `walk` makes
    const start = this.inPeak;
    let inPeak = start;
    for (let ch = 0; ch < channels.length; ch++) {
      const s = channels[ch];
      const out = this.out[ch];
      let peak = this.current[ch];
      inPeak = start;
      let i = 0;
      while (i < n) {
        const end = Math.min(n, i + spp - inPeak);
        for (let k = i; k < end; k++) {
          const v = abs[s[k]];
          if (v > peak) peak = v;
        }
        inPeak += end - i;
        i = end;
        if (inPeak === spp) {
          out.push(peak);
          peak = 0;
          inPeak = 0;
        }
      }
      this.current[ch] = peak;
    }
    this.inPeak = inPeak;
    this.total += n;
  }

  /**
   * Cuts a push into the spans of the peaks it fills (the first one continues the peak in
   * progress) and takes each channel's span peak with `spanPeak` (the running peak in, the
   * new one out).
   */
  private walk<T extends ArrayLike<number>>(
    channels: T[],
    spanPeak: (samples: T, from: number, to: number, peak: number) => number,
  ): void {
    const n = this.checkPush(channels);
    const spp = this.options.samplesPerPeak;
    let i = 0;
    while (i < n) {
      const take = Math.min(spp - this.inPeak, n - i);
      for (let ch = 0; ch < channels.length; ch++) {
        this.current[ch] = spanPeak(channels[ch], i, i + take, this.current[ch]);
      }
      i += take;
      this.inPeak += take;
      if (this.inPeak === spp) this.flush();
    }
    this.total += n;
  }

  /** the samples per channel of a push; throws when the channels do not fit the envelope */
  private checkPush(channels: ArrayLike<number>[]): number {
    if (channels.length !== this.out.length) {
      throw new PeaksFormatError(`peaks: push of ${channels.length} channels to a ${this.out.length}-channel envelope`);
    }
    const n = channels[0].length;
    if (channels.some(c => c.length !== n)) {
      throw new PeaksFormatError(`peaks: push with channels of different lengths (${channels.map(c => c.length).join(', ')})`);
    }
    return n;
  }

  private flush() {
    for (let ch = 0; ch < this.out.length; ch++) {
      this.out[ch].push(this.current[ch]);
      this.current[ch] = 0;
    }
    this.inPeak = 0;
  }

  /** The envelope of everything pushed. */
  finish(): PeakEnvelope {
    if (this.inPeak > 0) this.flush();
    const bytesPerPeak = this.options.bytesPerPeak ?? 1;
    const max = maxOf(bytesPerPeak);
    return {
      sampleRate: this.options.sampleRate,
      samplesPerPeak: this.options.samplesPerPeak,
      totalSamples: this.total,
      bytesPerPeak,
      peaks: this.out.map(list => {
        const q = bytesPerPeak === 1 ? new Uint8Array(list.length) : new Uint16Array(list.length);
        for (let i = 0; i < list.length; i++) q[i] = Math.min(max, Math.round((list[i] / 32768) * max));
        return q;
      }),
    };
  }
}

export function encodePeaks(env: PeakEnvelope): Buffer {
  const channels = env.peaks.length;
  const count = Math.ceil(env.totalSamples / env.samplesPerPeak);
  if (channels < 1 || channels > 8) throw new PeaksFormatError(`peaks: channels must be 1..8, got ${channels}`);
  if (env.peaks.some(p => p.length !== count)) {
    throw new PeaksFormatError(
      `peaks: ${env.totalSamples} samples at ${env.samplesPerPeak} per peak need ${count} peaks per channel, got ${env.peaks
        .map(p => p.length)
        .join(', ')}`,
    );
  }
  const body = Buffer.alloc(channels * count * env.bytesPerPeak);
  env.peaks.forEach((p, ch) => {
    const base = ch * count * env.bytesPerPeak;
    for (let i = 0; i < count; i++) {
      if (env.bytesPerPeak === 1) body[base + i] = p[i];
      else body.writeUInt16LE(p[i], base + 2 * i);
    }
  });
  const head = Buffer.alloc(PEAKS_HEADER_BYTES);
  head.write(PEAKS_MAGIC, 0, 'latin1');
  head.writeUInt8(PEAKS_VERSION, 4);
  head.writeUInt8(env.bytesPerPeak, 5);
  head.writeUInt8(channels, 6);
  head.writeUInt32LE(env.sampleRate, 8);
  head.writeUInt32LE(env.samplesPerPeak, 12);
  head.writeUInt32LE(count, 16);
  head.writeBigUInt64LE(BigInt(env.totalSamples), 20);
  head.writeUInt32LE(crc32(body), 28);
  return Buffer.concat([head, body]);
}

/** Parses a `.peaks` file; throws PeaksFormatError naming what is wrong and where. */
export function decodePeaks(bytes: Uint8Array, name = 'peaks'): PeakEnvelope {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string) => new PeaksFormatError(`${name}: ${what}`);
  if (buf.length < PEAKS_HEADER_BYTES) throw fail(`${buf.length} bytes, shorter than the ${PEAKS_HEADER_BYTES}-byte header`);
  const magic = buf.toString('latin1', 0, 4);
  if (magic !== PEAKS_MAGIC) throw fail(`bad magic ${JSON.stringify(magic)} at byte 0 (want "${PEAKS_MAGIC}")`);
  const version = buf.readUInt8(4);
  if (version !== PEAKS_VERSION) throw fail(`unsupported version ${version} at byte 4 (want ${PEAKS_VERSION})`);
  const bytesPerPeak = buf.readUInt8(5);
  if (bytesPerPeak !== 1 && bytesPerPeak !== 2) throw fail(`bytes per peak ${bytesPerPeak} at byte 5 (want 1 or 2)`);
  const channels = buf.readUInt8(6);
  if (channels < 1 || channels > 8) throw fail(`channel count ${channels} at byte 6 (want 1..8)`);
  const sampleRate = buf.readUInt32LE(8);
  if (sampleRate === 0) throw fail('sample rate 0 at byte 8');
  const samplesPerPeak = buf.readUInt32LE(12);
  if (samplesPerPeak === 0) throw fail('samples per peak 0 at byte 12');
  const count = buf.readUInt32LE(16);
  const totalBig = buf.readBigUInt64LE(20);
  if (totalBig > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`total samples ${totalBig} at byte 20 out of range`);
  const totalSamples = Number(totalBig);
  if (Math.ceil(totalSamples / samplesPerPeak) !== count) {
    throw fail(`count ${count} at byte 16 does not match ${totalSamples} samples at ${samplesPerPeak} per peak`);
  }
  const want = PEAKS_HEADER_BYTES + channels * count * bytesPerPeak;
  if (buf.length !== want) throw fail(`${buf.length} bytes, want ${want} for ${channels} x ${count} peaks of ${bytesPerPeak} byte(s)`);
  const body = buf.subarray(PEAKS_HEADER_BYTES);
  const crc = buf.readUInt32LE(28);
  if (crc32(body) !== crc) throw fail(`CRC-32 mismatch of the peak bytes (header at byte 28 says ${crc.toString(16)})`);
  const peaks = Array.from({ length: channels }, (_, ch) => {
    const base = ch * count * bytesPerPeak;
    if (bytesPerPeak === 1) return Uint8Array.from(body.subarray(base, base + count));
    const p = new Uint16Array(count);
    for (let i = 0; i < count; i++) p[i] = body.readUInt16LE(base + 2 * i);
    return p;
  });
  return { sampleRate, samplesPerPeak, totalSamples, bytesPerPeak, peaks };
}

/**
 * Reduces the envelope to `points` buckets per channel by max, scaled to 0..1 and
 * rounded to 3 decimals: the scale of the portal's waveform (largest absolute sample /
 * 32768). Buckets split the timeline like the decode path does (bucket b covers
 * samples floor(b * total / n) .. floor((b + 1) * total / n)); a peak that straddles a
 * bucket boundary counts for both buckets, so a bucket may see up to one peak span
 * (e.g. 10 ms) of its neighbours. `points` is capped at the number of samples.
 */
export function reducePeaks(env: PeakEnvelope, points: number): number[][] {
  const max = maxOf(env.bytesPerPeak);
  const total = env.totalSamples;
  const n = Math.max(1, Math.min(Math.floor(points), total || 1));
  const spp = env.samplesPerPeak;
  return env.peaks.map(p => {
    const out = new Array<number>(n).fill(0);
    if (p.length === 0) return out;
    const per = total / n;
    for (let b = 0; b < n; b++) {
      const s0 = Math.floor(b * per);
      const s1 = Math.min(total, Math.floor((b + 1) * per));
      const i0 = Math.min(p.length - 1, Math.floor(s0 / spp));
      const i1 = Math.max(i0 + 1, Math.min(p.length, Math.ceil(s1 / spp)));
      let peak = 0;
      for (let i = i0; i < i1; i++) if (p[i] > peak) peak = p[i];
      out[b] = Math.round((peak / max) * 1000) / 1000;
    }
    return out;
  });
}
