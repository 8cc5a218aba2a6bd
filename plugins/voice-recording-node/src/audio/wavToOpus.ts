/*
 * A stored stereo WAV (G.711 or 16-bit PCM) → a stored Ogg/Opus file, streaming, through
 * a BlobStore. Used by the recorder's background compression: on an Opus encoder thread
 * of the pool (OpusEncoderPool.transcodeWav, the whole job off the event loop when the
 * storage is local files), or on the calling thread with any BlobStore.
 *
 * The source's SHA-256 is checked against the one registered before the Opus file is
 * stored: a mismatch fails the put, so nothing is ever stored under the target key for a
 * source that changed.
 */
import { createHash } from 'node:crypto';
import { BlobPutOptions, BlobStore } from '../storage/BlobStore';
import { PEAKS_CONTENT_TYPE } from './peaks';
import type { OggOpusEncoding } from './opusEncoderPool';
import { OggOpusWriterOptions, OpusLayer, OpusSampleRate } from './opusFile';
import { WavHeaderInfo, readWavHeader } from './wav';

export const OGG_OPUS_CONTENT_TYPE = 'audio/ogg; codecs=opus';
const OPUS_RATES = new Set([8000, 12000, 16000, 24000, 48000]);
/** largest WAV header read before giving up (a header is 44–60 bytes) */
const MAX_HEADER_BYTES = 64 * 1024;

export interface WavToOpusJob {
  sourceKey: string;
  /** hex SHA-256 the source must have */
  expectedSha256: string;
  targetKey: string;
  bitrate: number;
  complexity: number;
  /** Opus layer (OggOpusWriterOptions.layer; default 'silk') */
  layer?: OpusLayer;
  /** Opus frame duration (default 20 ms) */
  frameMs?: 20 | 40 | 60;
  /** skip the encoder on silent frames (OggOpusWriterOptions.skipSilence; default false) */
  skipSilence?: boolean;
  tags?: Record<string, string>;
  /** also copy `<sourceKey>.peaks` to `<targetKey>.peaks` when it exists (default true) */
  copyPeaks?: boolean;
  /** Object Lock of the Opus file and its peaks copy (`objectLockFor`); absent: the store's default */
  lock?: { archive: Pick<BlobPutOptions, 'retention'>; peaks: Pick<BlobPutOptions, 'retention'> };
}

export interface WavToOpusResult {
  sha256: string;
  bytes: number;
  /** seconds of audio encoded */
  seconds: number;
  /** bytes the WAV's header announced but the file did not hold */
  missingBytes: number;
  peaksCopied: boolean;
}

/** Why a WAV could not be transcoded; the message names the source key. */
export class WavToOpusError extends Error {
  constructor(message: string, readonly code: 'invalid-source' | 'changed' | 'cancelled') {
    super(message);
    this.name = 'WavToOpusError';
  }
}

export async function transcodeWavToOpus(
  store: BlobStore,
  job: WavToOpusJob,
  createEncoding: (options: OggOpusWriterOptions) => OggOpusEncoding,
  isCancelled: () => boolean = () => false,
): Promise<WavToOpusResult> {
  const source = await store.get(job.sourceKey);
  const hash = createHash('sha256');
  const expected = job.expectedSha256.toLowerCase();
  let header: WavHeaderInfo | undefined;
  let seconds = 0;
  let missingBytes = 0;
  const key = job.sourceKey;

  async function* opusBody(): AsyncGenerator<Buffer> {
    // bytes before the data chunk is found, then at most one partial sample frame
    let pending: Buffer = Buffer.alloc(0);
    let remaining = 0;
    let frameBytes = 0;
    let writer: OggOpusEncoding | undefined;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        // a turn of the event loop per chunk: with blocking file calls (an encoder thread)
        // nothing else would let a `cancel` message in before the whole file is done
        await new Promise<void>(resolve => setImmediate(resolve));
        if (isCancelled()) throw new WavToOpusError(`${key}: cancelled (the recorder is stopping)`, 'cancelled');
        hash.update(chunk);
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        if (!header) {
          try {
            header = readWavHeader(pending);
          } catch (e) {
            // WavFormatError says what is wrong, not in which file
            throw new WavToOpusError(`${key}: ${(e as Error).message}`, 'invalid-source');
          }
          if (!header) {
            if (pending.length > MAX_HEADER_BYTES) throw new WavToOpusError(`${key}: no WAV data chunk in its first ${MAX_HEADER_BYTES} bytes`, 'invalid-source');
            continue;
          }
          if (header.channels !== 2) throw new WavToOpusError(`${key}: ${header.channels} channel(s), a stereo recording expected`, 'invalid-source');
          if (!OPUS_RATES.has(header.sampleRate)) throw new WavToOpusError(`${key}: sample rate ${header.sampleRate} Hz cannot be encoded as Opus`, 'invalid-source');
          frameBytes = (header.bitsPerSample / 8) * 2;
          remaining = header.dataBytes;
          pending = pending.subarray(header.dataOffset);
          writer = createEncoding({
            sampleRate: header.sampleRate as OpusSampleRate,
            channels: 2,
            bitrate: job.bitrate,
            complexity: job.complexity,
            layer: job.layer,
            frameMs: job.frameMs,
            skipSilence: job.skipSilence,
            tags: job.tags,
          });
        }
        // each chunk's whole frames go to the encoder as they are (decoded there)
        const usable = Math.min(remaining, pending.length - (pending.length % frameBytes));
        if (usable > 0) {
          for (const page of await writer!.writeSamples(header.encoding, pending.subarray(0, usable))) yield page;
          remaining -= usable;
        }
        // bytes after the data chunk (a pad byte, other chunks) are not audio
        pending = remaining > 0 ? pending.subarray(usable) : Buffer.alloc(0);
      }
      if (!header || !writer) throw new WavToOpusError(`${key}: not a complete WAV file`, 'invalid-source');
      // a WAV shorter than its header says: what is there is encoded (whole frames)
      missingBytes = remaining;
      seconds = (header.dataBytes - remaining) / frameBytes / header.sampleRate;
      const actual = hash.digest('hex');
      if (actual !== expected) {
        throw new WavToOpusError(
          `${key} has SHA-256 ${actual}, ${job.expectedSha256} was registered: the file changed since the call ended; it is left as it is`,
          'changed',
        );
      }
      for (const page of await writer.end()) yield page;
      writer = undefined;
    } finally {
      writer?.abort();
    }
  }

  const stored = await store.put(job.targetKey, opusBody(), { contentType: OGG_OPUS_CONTENT_TYPE, ...job.lock?.archive });
  let peaksCopied = false;
  if (job.copyPeaks ?? true) {
    // the waveform's envelope is the same timeline: keep it next to the new file
    try {
      const parts: Buffer[] = [];
      for await (const c of (await store.get(`${job.sourceKey}.peaks`)) as AsyncIterable<Buffer>) parts.push(c);
      await store.put(`${job.targetKey}.peaks`, Buffer.concat(parts), { contentType: PEAKS_CONTENT_TYPE, ...job.lock?.peaks });
      peaksCopied = true;
    } catch {
      // absent or unreadable: the portal decodes the recording for its waveform instead
    }
  }
  return { sha256: stored.sha256, bytes: stored.size, seconds, missingBytes, peaksCopied };
}
