/*
 * Background Opus compression (config `opus.encode: background`).
 *
 * A call is registered at its end with a lossless stereo WAV (cheap: the journal's bytes
 * laid out on the timeline), so the recorder's real-time work per call stays small. This
 * compressor then replaces each such WAV with the Ogg/Opus archive, on encoder threads
 * of the lowest scheduling priority (nice 19): libopus only gets the CPU that SIP and
 * RTP leave idle, and a busy hour's backlog is worked off when the calls are fewer.
 *
 * Per conversation, in an order that never loses the recording:
 *   1. read the WAV through the BlobStore, checking its SHA-256 against the registered one
 *   2. store the Opus file (and a copy of the peak envelope) under a new key
 *   3. replaceArchive: compare-and-set in the database (still this WAV, still pending),
 *      audited with both hashes; the WAV's key is kept as `supersededStorageKey`
 *   4. delete the WAV and its peaks, then forget the superseded key
 * A crash between steps leaves either an unreferenced Opus file that the next attempt
 * overwrites (2), or a superseded WAV that the next pass deletes (4). The WAV stays the
 * recording (playable, hashed) until step 3 commits.
 */
import { createHash } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ArchiveToCompress,
  BlobStore,
  CaptureConversations,
  OpusEncoderPool,
  PEAKS_CONTENT_TYPE,
  WavHeaderInfo,
  readWavHeader,
} from '@mvr/plugin-voice-recording-node';
import { OpusSampleRate } from '../audio/opusFile';

export const OPUS_CONTENT_TYPE = 'audio/ogg; codecs=opus';
const OPUS_RATES = new Set([8000, 12000, 16000, 24000, 48000]);
/** largest WAV header read before giving up (a header is 44–60 bytes) */
const MAX_HEADER_BYTES = 64 * 1024;

export interface ArchiveCompressorOptions {
  conversations: CaptureConversations;
  blobStore: BlobStore;
  pool: OpusEncoderPool;
  opus: { bitrate: number; complexity: number };
  logger: LoggerService;
  /** only this recorder instance's conversations (its WAVs, its CPU) */
  instanceId?: string;
  /** look for work this often even without a notification (default 60 s) */
  pollIntervalMs?: number;
  /** archives compressed at once (default: the pool's threads) */
  concurrency?: number;
  /** a conversation whose compression failed is tried again after this long (default 10 min) */
  retryFailedAfterMs?: number;
}

export interface ArchiveCompressorStats {
  compressed: number;
  /** seconds of calls compressed */
  compressedSeconds: number;
  /** replaced WAV files deleted */
  supersededDeleted: number;
  failed: number;
  lastError?: string;
}

export class CompressionError extends Error {
  constructor(message: string, readonly conversationId: string) {
    super(`conversation ${conversationId}: ${message}`);
    this.name = 'CompressionError';
  }
}

/** `recordings/…/call-123.wav` → `recordings/…/call-123.opus` */
export function opusKeyFor(wavKey: string): string {
  return /\.wav$/i.test(wavKey) ? wavKey.replace(/\.wav$/i, '.opus') : `${wavKey}.opus`;
}

export class ArchiveCompressor {
  readonly stats: ArchiveCompressorStats = { compressed: 0, compressedSeconds: 0, supersededDeleted: 0, failed: 0 };
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  /** conversations not to try before the time given (failed, or stale in this pass) */
  private readonly notBefore = new Map<string, number>();

  constructor(private readonly options: ArchiveCompressorOptions) {}

  /** Looks for work now, then every poll interval. */
  start(): void {
    this.schedule(0);
  }

  /** A conversation was registered with an archive to compress. */
  notify(): void {
    this.schedule(0);
  }

  /** Resolves once a pass found nothing left to do (tests, benchmarks). */
  idle(): Promise<void> {
    return new Promise(resolve => {
      this.idleWaiters.push(resolve);
      this.schedule(0);
    });
  }

  /** Stops taking work; an archive being encoded is abandoned (the WAV stays the recording). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass()
        .catch(e => {
          // the database or storage is unavailable: the next poll tries again
          this.stats.lastError = (e as Error).message;
          this.options.logger.warn(`archive compression paused: ${(e as Error).message}`);
        })
        .finally(() => {
          this.running = undefined;
          const again = this.again;
          this.again = false;
          if (again) this.schedule(0);
          else this.schedule(this.options.pollIntervalMs ?? 60_000);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Works until nothing is left but what failed (tried again after retryFailedAfterMs). */
  private async pass(): Promise<void> {
    const concurrency = Math.max(1, this.options.concurrency ?? this.options.pool.threads);
    const seen = new Set<string>();
    while (!this.stopped) {
      const now = Date.now();
      for (const [id, until] of this.notBefore) if (until <= now) this.notBefore.delete(id);
      // the same work twice in a pass only if the row changed meanwhile (stale)
      const workOf = (i: ArchiveToCompress) =>
        [i.conversationId, i.storageKey, i.sha256, i.compressTo ?? '', i.supersededStorageKey ?? ''].join('|');
      const skip = (i: ArchiveToCompress) => seen.has(workOf(i)) || this.notBefore.has(i.conversationId);
      // oldest first; room for the ones skipped so that they cannot hide the rest
      const listed = await this.options.conversations.listArchivesToCompress({
        instanceId: this.options.instanceId,
        limit: Math.min(1000, Math.max(16, concurrency * 4) + this.notBefore.size + seen.size),
      });
      const items = listed.filter(i => !skip(i));
      if (items.length === 0) break;
      let next = 0;
      const lane = async () => {
        while (!this.stopped && next < items.length) {
          const item = items[next++];
          seen.add(workOf(item));
          try {
            await this.process(item);
            this.notBefore.delete(item.conversationId);
          } catch (e) {
            if (this.stopped) return;
            this.notBefore.set(item.conversationId, Date.now() + (this.options.retryFailedAfterMs ?? 600_000));
            this.stats.failed++;
            this.stats.lastError = (e as Error).message;
            this.options.logger.error(
              `compressing the archive of conversation ${item.conversationId} failed (the WAV stays its recording; tried again in ${Math.round(
                (this.options.retryFailedAfterMs ?? 600_000) / 1000,
              )} s): ${(e as Error).message}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
    }
    if (!this.stopped && !this.again) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async process(item: ArchiveToCompress): Promise<void> {
    if (item.compressTo === 'opus') {
      const replaced = await this.compress(item);
      if (replaced) await this.deleteSuperseded(item.conversationId, item.storageKey);
    } else if (item.supersededStorageKey) {
      await this.deleteSuperseded(item.conversationId, item.supersededStorageKey);
    }
  }

  /** Steps 1–3; true when the conversation now points at the Opus file. */
  private async compress(item: ArchiveToCompress): Promise<boolean> {
    const { conversations, blobStore, pool, opus } = this.options;
    const id = item.conversationId;
    const conversation = await conversations.get(id);
    if (!conversation || conversation.storageKey !== item.storageKey || !conversation.compressTo) return false;
    const key = opusKeyFor(item.storageKey);
    const source = await blobStore.get(item.storageKey);
    const hash = createHash('sha256');
    const isStopped = () => this.stopped;
    let header: WavHeaderInfo | undefined;
    let seconds = 0;
    let missingBytes = 0;

    const expectedSha256 = item.sha256.toLowerCase();
    async function* opusBody(): AsyncGenerator<Buffer> {
      // bytes before the data chunk is found, then at most one partial sample frame
      let pending: Buffer = Buffer.alloc(0);
      let remaining = 0;
      let writer: ReturnType<OpusEncoderPool['createWriter']> | undefined;
      let frameBytes = 0;
      try {
        // each chunk's whole frames go to the encoder thread as they are (decoded there)
        const encode = async function* encodeChunk(bytes: Buffer): AsyncGenerator<Buffer> {
          for (const page of await writer!.writeSamples(header!.encoding, bytes)) yield page;
        };
        for await (const chunk of source as AsyncIterable<Buffer>) {
          if (isStopped()) throw new CompressionError('the recorder is stopping', id);
          hash.update(chunk);
          pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
          if (!header) {
            try {
              header = readWavHeader(pending);
            } catch (e) {
              // WavFormatError says what is wrong, not in which file
              throw new CompressionError(`${item.storageKey}: ${(e as Error).message}`, id);
            }
            if (!header) {
              if (pending.length > MAX_HEADER_BYTES) throw new CompressionError(`${item.storageKey}: no WAV data chunk in its first ${MAX_HEADER_BYTES} bytes`, id);
              continue;
            }
            if (header.channels !== 2) throw new CompressionError(`${item.storageKey}: ${header.channels} channel(s), a stereo recording expected`, id);
            if (!OPUS_RATES.has(header.sampleRate)) throw new CompressionError(`${item.storageKey}: sample rate ${header.sampleRate} Hz cannot be encoded as Opus`, id);
            frameBytes = (header.bitsPerSample / 8) * 2;
            remaining = header.dataBytes;
            pending = pending.subarray(header.dataOffset);
            writer = pool.createWriter({
              sampleRate: header.sampleRate as OpusSampleRate,
              channels: 2,
              bitrate: opus.bitrate,
              complexity: opus.complexity,
              tags: {
                CALL_ID: conversation!.sipCallId,
                STARTED_AT: conversation!.startedAt,
                ...(conversation!.endedBy ? { ENDED_BY: conversation!.endedBy } : {}),
                SOURCE_SHA256: item.sha256,
              },
            });
          }
          const usable = Math.min(remaining, pending.length - (pending.length % frameBytes));
          if (usable > 0) {
            yield* encode(pending.subarray(0, usable));
            remaining -= usable;
          }
          // bytes after the data chunk (a pad byte, other chunks) are not audio
          pending = remaining > 0 ? pending.subarray(usable) : Buffer.alloc(0);
        }
        if (!header || !writer) throw new CompressionError(`${item.storageKey}: not a complete WAV file`, id);
        // a WAV shorter than its header says: what is there is encoded (whole frames)
        missingBytes = remaining;
        seconds = (header.dataBytes - remaining) / frameBytes / header.sampleRate;
        // the evidence must be what was registered before anything replaces it: a
        // mismatch fails the put, so no Opus file is ever stored under its key
        const sourceSha256 = hash.digest('hex');
        if (sourceSha256 !== expectedSha256) {
          throw new CompressionError(
            `${item.storageKey} has SHA-256 ${sourceSha256}, ${item.sha256} was registered: the file changed since the call ended; it is left as it is`,
            id,
          );
        }
        for (const page of await writer.end()) yield page;
        writer = undefined;
      } finally {
        writer?.abort();
      }
    }

    const stored = await blobStore.put(key, opusBody(), { contentType: OPUS_CONTENT_TYPE });
    if (missingBytes > 0) {
      this.options.logger.warn(`conversation ${id}: ${item.storageKey} holds ${missingBytes} bytes less audio than its WAV header says; the Opus file has ${seconds.toFixed(2)} s`);
    }
    // the waveform's envelope is the same timeline: keep it next to the new file
    try {
      const peaks = await readAll(await blobStore.get(`${item.storageKey}.peaks`));
      await blobStore.put(`${key}.peaks`, peaks, { contentType: PEAKS_CONTENT_TYPE });
    } catch {
      // absent or unreadable: the portal decodes the recording for its waveform instead
    }
    const outcome = await conversations.replaceArchive(id, {
      expected: { storageKey: item.storageKey, sha256: item.sha256 },
      storageKey: key,
      sha256: stored.sha256,
      bytes: stored.size,
      format: OPUS_CONTENT_TYPE,
    });
    if (outcome === 'stale') {
      // changed meanwhile (another process compressed it): drop this copy unless it is the one in use
      const now = await conversations.get(id);
      if (now?.storageKey !== key) {
        await blobStore.delete(key).catch(() => undefined);
        await blobStore.delete(`${key}.peaks`).catch(() => undefined);
      }
      return false;
    }
    this.stats.compressed++;
    this.stats.compressedSeconds += seconds;
    return true;
  }

  /** Step 4: the replaced WAV (and its peaks) go, then its key is forgotten. */
  private async deleteSuperseded(conversationId: string, storageKey: string): Promise<void> {
    await this.options.blobStore.delete(storageKey);
    await this.options.blobStore.delete(`${storageKey}.peaks`).catch(() => undefined);
    await this.options.conversations.forgetSupersededArchive(conversationId, storageKey);
    this.stats.supersededDeleted++;
  }
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}
