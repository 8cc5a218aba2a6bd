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
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ArchiveToCompress,
  BlobStore,
  CaptureConversations,
  OGG_OPUS_CONTENT_TYPE,
  OpusEncoderPool,
  WavToOpusJob,
  WavToOpusResult,
  WavTranscode,
  threadableStore,
  transcodeWavToOpus,
} from '@mvr/plugin-voice-recording-node';

export const OPUS_CONTENT_TYPE = OGG_OPUS_CONTENT_TYPE;

export interface ArchiveCompressorOptions {
  conversations: CaptureConversations;
  blobStore: BlobStore;
  pool: OpusEncoderPool;
  opus: { bitrate: number; complexity: number; frameMs?: 20 | 40 | 60; skipSilence?: boolean };
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
  /** transcodes running on encoder threads (cancelled by stop) */
  private readonly running_ = new Set<WavTranscode>();

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
    for (const t of this.running_) t.cancel();
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
    // the row is not read again here: a listing is seconds old, and replaceArchive
    // replaces only if the row still holds this WAV with this hash (compare-and-set)
    const key = opusKeyFor(item.storageKey);
    const job: WavToOpusJob = {
      sourceKey: item.storageKey,
      expectedSha256: item.sha256,
      targetKey: key,
      bitrate: opus.bitrate,
      complexity: opus.complexity,
      frameMs: opus.frameMs,
      skipSilence: opus.skipSilence,
      tags: {
        ...(item.sipCallId ? { CALL_ID: item.sipCallId } : {}),
        STARTED_AT: item.startedAt,
        ...(item.endedBy ? { ENDED_BY: item.endedBy } : {}),
        SOURCE_SHA256: item.sha256,
      },
    };
    let stored: WavToOpusResult;
    try {
      const threadable = threadableStore(blobStore);
      if (threadable && pool.threads > 0) {
        // local files (plain or encrypted at rest): the whole job (read, decrypt, decode,
        // encode, encrypt, hash, write) on the nice-19 thread
        const running = pool.transcodeWav(threadable, job);
        this.running_.add(running);
        try {
          stored = await running.result;
        } finally {
          this.running_.delete(running);
        }
      } else {
        // another store: streamed through this thread, encoded on the pool
        stored = await transcodeWavToOpus(blobStore, job, o => pool.createWriter(o), () => this.stopped);
      }
    } catch (e) {
      throw new CompressionError((e as Error).message, id);
    }
    if (stored.missingBytes > 0) {
      this.options.logger.warn(
        `conversation ${id}: ${item.storageKey} holds ${stored.missingBytes} bytes less audio than its WAV header says; the Opus file has ${stored.seconds.toFixed(2)} s`,
      );
    }
    const seconds = stored.seconds;
    const outcome = await conversations.replaceArchive(id, {
      expected: { storageKey: item.storageKey, sha256: item.sha256 },
      storageKey: key,
      sha256: stored.sha256,
      bytes: stored.bytes,
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
