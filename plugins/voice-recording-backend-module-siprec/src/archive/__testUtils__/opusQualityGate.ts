/*
 * The Opus archive's quality gate, measured against the lossless archive of the same
 * audio (the G.711 samples): used by archive/opusQualityGate.test.ts and printed by the
 * load bench (bench/recorderLoad.js).
 *
 * - correlation: per channel, of the decoded Opus with the lossless samples (best over
 *   lags of ±5 ms; the decoder is aligned, the lag only absorbs the codec's phase);
 * - onsets: every speech burst of the lossless channel (a 20 ms frame at or above
 *   -45 dBFS after at least 300 ms below it) and the energy of its first 100 ms in the
 *   decoded file against the lossless one, in dB (a clipped onset: far below 0);
 * - pauses: the level of every 100 ms window at least 200 ms away from speech, decoded
 *   against lossless (levels below -65 dBFS count as -65: inaudible either way); a
 *   background chopped by the silence gate shows as windows far below the lossless level.
 */
import {
  OggOpusWriter,
  OggOpusWriterOptions,
  decodeOggOpus,
} from '@mvr/plugin-voice-recording-node';

export interface ChannelGate {
  correlation: number;
  onsets: number;
  /** lowest (decoded − lossless) energy of an onset's first 100 ms, dB */
  worstOnsetDb: number;
  pauseWindows: number;
  /** largest |decoded − lossless| level of a pause window, dB */
  pauseMaxDeviationDb: number;
  /** pause windows more than 6 dB below the lossless level */
  pauseWindowsBelow6Db: number;
  /** frames the encoder ran on / all frames */
  encodedShare: number;
}

export interface QualityGateResult {
  channels: ChannelGate[];
  /** Ogg/Opus file size per second of audio */
  kbitPerSecond: number;
  /** ... as MB per hour */
  mbPerHour: number;
  /** CPU of the writer (encoder + Ogg) per second of audio */
  encodeMsPerSecond: number;
  samples: number;
}

const FRAME = 160;
const ONSET_DBFS = -45;

function level(x: ArrayLike<number>, from: number, n: number): number {
  let s = 0;
  const to = Math.min(x.length, from + n);
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return 10 * Math.log10(s / Math.max(1, to - from) / (32768 * 32768) + 1e-30);
}

function channel(pcm: Int16Array, c: number, channels: number): Int16Array {
  const out = new Int16Array(pcm.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = pcm[i * channels + c];
  return out;
}

export function correlation(x: Int16Array, y: Int16Array, maxLag = 40): number {
  let best = -1;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    const from = Math.max(0, -lag);
    const to = Math.min(x.length, y.length - lag);
    for (let i = from; i < to; i++) {
      const u = x[i];
      const v = y[i + lag];
      sxy += u * v;
      sxx += u * u;
      syy += v * v;
    }
    if (sxx > 0 && syy > 0) best = Math.max(best, sxy / Math.sqrt(sxx * syy));
  }
  return best;
}

/** Onsets (frame index) of the speech bursts of a lossless channel. */
export function speechOnsets(x: Int16Array): number[] {
  const onsets: number[] = [];
  let quiet = 15;
  for (let f = 0; (f + 1) * FRAME <= x.length; f++) {
    if (level(x, f * FRAME, FRAME) >= ONSET_DBFS) {
      if (quiet >= 15) onsets.push(f);
      quiet = 0;
    } else quiet++;
  }
  return onsets;
}

export function compareChannels(
  ref: Int16Array,
  dec: Int16Array,
): Omit<ChannelGate, 'encodedShare'> {
  const active: boolean[] = [];
  for (let f = 0; (f + 1) * FRAME <= ref.length; f++)
    active.push(level(ref, f * FRAME, FRAME) >= ONSET_DBFS);
  const onsets = speechOnsets(ref);
  let worst = Infinity;
  for (const f of onsets)
    worst = Math.min(
      worst,
      level(dec, f * FRAME, 800) - level(ref, f * FRAME, 800),
    );
  let windows = 0;
  let maxDev = 0;
  let below = 0;
  for (let w = 0; (w + 1) * 800 <= ref.length; w++) {
    let near = false;
    for (let f = w * 5 - 10; f < w * 5 + 15 && !near; f++)
      near = f >= 0 && f < active.length && active[f];
    if (near) continue;
    windows++;
    const d =
      Math.max(-65, level(dec, w * 800, 800)) -
      Math.max(-65, level(ref, w * 800, 800));
    maxDev = Math.max(maxDev, Math.abs(d));
    if (d < -6) below++;
  }
  return {
    correlation: correlation(ref, dec),
    onsets: onsets.length,
    worstOnsetDb: onsets.length ? worst : 0,
    pauseWindows: windows,
    pauseMaxDeviationDb: maxDev,
    pauseWindowsBelow6Db: below,
  };
}

/** Encode stereo PCM (the lossless samples) with these writer options, decode it and compare. */
export function opusQualityGate(
  lossless: Int16Array,
  options: OggOpusWriterOptions,
): QualityGateResult {
  const before = process.cpuUsage();
  const writer = new OggOpusWriter({
    serial: 1,
    ...options,
    channels: 2,
    sampleRate: 8000,
  });
  const parts: Buffer[] = [];
  const chunk = 8000 * 2; // 1 s windows, as the archive step writes them
  for (let i = 0; i < lossless.length; i += chunk)
    parts.push(...writer.write(lossless.subarray(i, i + chunk)));
  const stats = () => writer.frameStats;
  parts.push(...writer.end());
  const used = process.cpuUsage(before);
  const file = Buffer.concat(parts);
  const decoded = decodeOggOpus(file);
  const seconds = lossless.length / 2 / 8000;
  if (decoded.samples !== lossless.length / 2) {
    throw new Error(
      `decoded ${decoded.samples} samples per channel, ${
        lossless.length / 2
      } were encoded`,
    );
  }
  const { frames, skipped } = stats();
  return {
    channels: [0, 1].map(c => ({
      ...compareChannels(channel(lossless, c, 2), channel(decoded.pcm, c, 2)),
      encodedShare: frames ? 1 - skipped[c] / frames : 1,
    })),
    kbitPerSecond: (file.length * 8) / seconds / 1000,
    mbPerHour: ((file.length / seconds) * 3600) / 1e6,
    encodeMsPerSecond: (used.user + used.system) / 1000 / seconds,
    samples: decoded.samples,
  };
}
