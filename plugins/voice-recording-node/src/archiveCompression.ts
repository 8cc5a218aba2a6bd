/*
 * Opus compression of a conversation's interim WAV as an archive job (kind `compress`,
 * subject = the conversation id; issue 20, docs/recorder.md "Compression").
 *
 * A recorder registers a call at its end with a lossless stereo WAV (cheap: the journal's
 * bytes laid out on the timeline) and enqueues a `compress` job. Whichever process takes
 * the job (a recorder, a portal with archive work enabled, a dedicated archiver) replaces
 * the WAV with the Ogg/Opus archive, on encoder threads of the lowest scheduling priority
 * (nice 19), reading and writing the shared recording store.
 *
 * Per conversation, in an order that never loses the recording:
 *   1. read the WAV through the BlobStore, checking its SHA-256 against the registered one
 *   2. store the Opus file (and a copy of the peak envelope) under a new key
 *   3. replaceArchive: compare-and-set in the database (still this WAV, still pending),
 *      audited with both hashes; the WAV's key is kept as `supersededStorageKey`
 *   4. delete the WAV and its peaks, then forget the superseded key
 * A crash (or a lost lease) between steps leaves either an unreferenced Opus file that
 * the next attempt overwrites (2), or a superseded WAV that the next attempt deletes (4).
 * The WAV stays the recording (playable, hashed) until step 3 commits. Two workers on the
 * same conversation at once (a lease that ran out while the first still worked) cannot
 * both replace it: the second compare-and-set is `stale` and its copy is dropped.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ArchiveJob,
  ArchiveJobHandler,
  EnqueueArchiveJob,
  PermanentArchiveJobError,
} from './archiveJobs';
import { ArchiveToCompress, CaptureConversations } from './capture';
import { BlobStore, objectLockFor, objectLockOf } from './storage';
import {
  OGG_OPUS_CONTENT_TYPE,
  OpusEncoderPool,
  WavToOpusJob,
  WavToOpusResult,
  WavTranscode,
  threadableStore,
  transcodeWavToOpus,
  DEFAULT_OPUS_BITRATES,
  OpusLayer,
} from './audio';

/** How the Opus archive is encoded (the recorder's `voiceRecording.recorder.opus.*`). */
export interface CompressionOpusSettings {
  /** bit/s for both channels */
  bitrate: number;
  /** libopus complexity 0..10 */
  complexity: number;
  /** Opus layer: 'celt' (the recorder's default) or 'silk'; absent: 'silk' (the writer's) */
  layer?: OpusLayer;
  frameMs?: 20 | 40 | 60;
  /** skip the encoder on silent frames */
  skipSilence?: boolean;
}

/** The recorder's default layer (`voiceRecording.recorder.opus.layer`). */
export const DEFAULT_OPUS_LAYER: OpusLayer = 'celt';

/** The recorder's defaults (docs/configuration.md, `voiceRecording.recorder.opus`). */
export const DEFAULT_COMPRESSION_OPUS: Required<CompressionOpusSettings> = {
  bitrate: DEFAULT_OPUS_BITRATES[DEFAULT_OPUS_LAYER],
  complexity: 0,
  layer: DEFAULT_OPUS_LAYER,
  frameMs: 60,
  skipSilence: true,
};

/** `silk` / `celt`, else undefined. */
export function isOpusLayer(v: unknown): v is OpusLayer {
  return v === 'silk' || v === 'celt';
}

/**
 * `recordings/…/call-123.wav` → `recordings/…/call-123.opus`; from a job's second attempt
 * on `call-123.a2.opus`, … (a first attempt whose lease ran out while it still worked
 * must not overwrite the file a later attempt put in place).
 */
export function opusKeyFor(wavKey: string, attempt = 1): string {
  const suffix = attempt > 1 ? `.a${attempt}.opus` : '.opus';
  return /\.wav$/i.test(wavKey) ? wavKey.replace(/\.wav$/i, suffix) : `${wavKey}${suffix}`;
}

/** Why a conversation's archive could not be compressed; the message names the conversation. */
export class CompressionError extends Error {
  constructor(
    message: string,
    readonly conversationId: string,
    /** what failed underneath (a storage outage is retried without spending the attempt) */
    readonly cause?: unknown,
  ) {
    super(`conversation ${conversationId}: ${message}`);
    this.name = 'CompressionError';
  }
}

/**
 * The `compress` job of a conversation: one open job per conversation (the queue's
 * unique (kind, subject)); `opus`: how the enqueuing recorder is configured to encode
 * (else the taking process's `voiceRecording.recorder.opus.*`).
 */
export function compressJobFor(conversationId: string, opus?: CompressionOpusSettings): EnqueueArchiveJob {
  return {
    kind: 'compress',
    subject: conversationId,
    conversationId,
    ...(opus ? { payload: { opus: { ...opus } } } : {}),
  };
}

/**
 * The Opus settings of a job: its payload's, checked, over `defaults`. A payload without
 * `layer` was enqueued by a recorder from before the layer was configurable, which coded
 * SILK: such a job is encoded in SILK (at its payload's bit rate, else SILK's default).
 * A payload whose layer is not the defaults' takes that layer's default bit rate when it
 * has none.
 */
export function compressionSettingsOf(
  job: Pick<ArchiveJob, 'id' | 'payload'>,
  defaults: CompressionOpusSettings,
): CompressionOpusSettings {
  const raw = job.payload?.opus;
  if (raw === undefined || raw === null) return { ...defaults };
  const bad = (what: string) => new PermanentArchiveJobError(`compress job ${job.id}: payload.opus.${what}`);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad(`is not an object: ${JSON.stringify(raw)}`);
  const o = raw as Record<string, unknown>;
  const out: CompressionOpusSettings = { ...defaults };
  if (o.layer !== undefined && !isOpusLayer(o.layer)) throw bad(`layer ${JSON.stringify(o.layer)} is not one of silk, celt`);
  const layer: OpusLayer = o.layer ?? 'silk';
  out.layer = layer;
  if ((defaults.layer ?? 'silk') !== layer) out.bitrate = DEFAULT_OPUS_BITRATES[layer];
  if (o.bitrate !== undefined) {
    if (typeof o.bitrate !== 'number' || !Number.isInteger(o.bitrate) || o.bitrate < 6000 || o.bitrate > 256000)
      throw bad(`bitrate ${JSON.stringify(o.bitrate)} is not a bit rate between 6000 and 256000 bit/s`);
    out.bitrate = o.bitrate;
  }
  if (o.complexity !== undefined) {
    if (typeof o.complexity !== 'number' || !Number.isInteger(o.complexity) || o.complexity < 0 || o.complexity > 10)
      throw bad(`complexity ${JSON.stringify(o.complexity)} is not an integer 0..10`);
    out.complexity = o.complexity;
  }
  if (o.frameMs !== undefined) {
    if (o.frameMs !== 20 && o.frameMs !== 40 && o.frameMs !== 60)
      throw bad(`frameMs ${JSON.stringify(o.frameMs)} is not one of 20, 40, 60`);
    out.frameMs = o.frameMs;
  }
  if (o.skipSilence !== undefined) {
    if (typeof o.skipSilence !== 'boolean') throw bad(`skipSilence ${JSON.stringify(o.skipSilence)} is not a boolean`);
    out.skipSilence = o.skipSilence;
  }
  return out;
}

export interface ArchiveCompressionStats {
  compressed: number;
  /** seconds of calls compressed */
  compressedSeconds: number;
  /** replaced WAV files deleted */
  supersededDeleted: number;
  /** compressions that found the conversation changed (another worker replaced it first) */
  stale: number;
  failed: number;
  lastError?: string;
}

export interface ArchiveCompressionOptions {
  /** the conversation records (the replacement is audited and signed there) */
  conversations: Pick<CaptureConversations, 'get' | 'replaceArchive' | 'forgetSupersededArchive'>;
  /** the store the conversation's archive is in (the recording storage) */
  blobStore: BlobStore;
  /** encoder threads (nice 19 for background work); 0 threads: on the calling thread */
  pool: OpusEncoderPool;
  logger: Pick<LoggerService, 'warn' | 'error' | 'info' | 'debug'>;
}

/** What one `process` did. */
export type CompressionOutcome =
  /** the Opus file replaced the WAV, which is deleted */
  | 'compressed'
  /** a WAV superseded before (a crash after step 3) is deleted */
  | 'superseded-deleted'
  /** the conversation changed meanwhile (another worker): nothing of this attempt is kept */
  | 'stale'
  /** nothing to do */
  | 'nothing';

/** The four steps above, for one conversation at a time (any number at once). */
export class ArchiveCompression {
  readonly stats: ArchiveCompressionStats = {
    compressed: 0,
    compressedSeconds: 0,
    supersededDeleted: 0,
    stale: 0,
    failed: 0,
  };

  constructor(private readonly options: ArchiveCompressionOptions) {}

  /**
   * Compresses `item` (as listed: `listArchivesToCompress` / the conversation's row) or
   * deletes the archive it superseded. `signal`: abort the encoding (the WAV stays the
   * recording, no Opus file is kept). Throws CompressionError when the WAV cannot be
   * compressed (missing, changed, not a stereo WAV of a supported rate).
   */
  async process(
    item: ArchiveToCompress,
    opus: CompressionOpusSettings,
    options: { signal?: AbortSignal; attempt?: number } = {},
  ): Promise<CompressionOutcome> {
    const { signal } = options;
    const attempt = Math.max(1, options.attempt ?? 1);
    try {
      if (item.compressTo === 'opus') {
        const key = opusKeyFor(item.storageKey, attempt);
        const replaced = await this.compress(item, key, opus, signal);
        if (!replaced) {
          this.stats.stale++;
          return 'stale';
        }
        await this.deleteSuperseded(item.conversationId, item.storageKey);
        // files earlier attempts of the job may have left (killed, or their lease lost)
        for (let n = 1; n < attempt; n++) {
          const earlier = opusKeyFor(item.storageKey, n);
          await this.options.blobStore.delete(earlier).catch(() => undefined);
          await this.options.blobStore.delete(`${earlier}.peaks`).catch(() => undefined);
        }
        return 'compressed';
      }
      if (item.supersededStorageKey) {
        await this.deleteSuperseded(item.conversationId, item.supersededStorageKey);
        return 'superseded-deleted';
      }
      return 'nothing';
    } catch (e) {
      if (!signal?.aborted) {
        this.stats.failed++;
        this.stats.lastError = (e as Error).message;
      }
      throw e;
    }
  }

  /** Steps 1–3; true when the conversation now points at the Opus file. */
  private async compress(
    item: ArchiveToCompress,
    key: string,
    opus: CompressionOpusSettings,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const { conversations, blobStore, pool } = this.options;
    const id = item.conversationId;
    // the row is not read again here: replaceArchive replaces only if the row still
    // holds this WAV with this hash (compare-and-set)
    const job: WavToOpusJob = {
      sourceKey: item.storageKey,
      expectedSha256: item.sha256,
      targetKey: key,
      bitrate: opus.bitrate,
      complexity: opus.complexity,
      layer: opus.layer,
      frameMs: opus.frameMs,
      skipSilence: opus.skipSilence,
      tags: {
        ...(item.sipCallId ? { CALL_ID: item.sipCallId } : {}),
        STARTED_AT: item.startedAt,
        ...(item.endedBy ? { ENDED_BY: item.endedBy } : {}),
        SOURCE_SHA256: item.sha256,
      },
    };
    if (signal?.aborted) throw new CompressionError('cancelled before it began', id);
    if (objectLockOf(blobStore)) {
      // Object Lock (WORM): the Opus file is the recording, locked until the retention end
      const conversation = await conversations.get(id);
      job.lock = {
        archive: objectLockFor(blobStore, conversation, 'archive'),
        peaks: objectLockFor(blobStore, conversation, 'peaks'),
      };
    }
    let stored: WavToOpusResult;
    try {
      const threadable = threadableStore(blobStore);
      if (threadable && pool.threads > 0) {
        // local files (plain or encrypted at rest): the whole job (read, decrypt, decode,
        // encode, encrypt, hash, write) on the nice-19 thread
        const running: WavTranscode = pool.transcodeWav(threadable, job);
        const cancel = () => running.cancel();
        signal?.addEventListener('abort', cancel);
        try {
          stored = await running.result;
        } finally {
          signal?.removeEventListener('abort', cancel);
        }
      } else {
        // another store (object storage): streamed through this thread, encoded on the pool
        stored = await transcodeWavToOpus(blobStore, job, o => pool.createWriter(o), () => signal?.aborted ?? false);
      }
    } catch (e) {
      throw new CompressionError((e as Error).message, id, e);
    }
    if (stored.missingBytes > 0) {
      this.options.logger.warn(
        `conversation ${id}: ${item.storageKey} holds ${stored.missingBytes} bytes less audio than its WAV header says; the Opus file has ${stored.seconds.toFixed(2)} s`,
      );
    }
    if (signal?.aborted) {
      // the lease was lost or the worker stops: another attempt does it again (the Opus
      // file stays unreferenced until then, and is overwritten)
      throw new CompressionError('cancelled after encoding, before the replacement', id);
    }
    const outcome = await conversations.replaceArchive(id, {
      expected: { storageKey: item.storageKey, sha256: item.sha256 },
      storageKey: key,
      sha256: stored.sha256,
      bytes: stored.bytes,
      format: OGG_OPUS_CONTENT_TYPE,
    });
    if (outcome === 'stale') {
      // changed meanwhile (another worker compressed it): drop this copy unless it is the one in use
      const now = await conversations.get(id);
      if (now?.storageKey !== key) {
        await blobStore.delete(key).catch(e =>
          this.options.logger.warn(`conversation ${id}: the unused Opus copy ${key} could not be deleted: ${(e as Error).message}`),
        );
        await blobStore.delete(`${key}.peaks`).catch(() => undefined);
      }
      return false;
    }
    this.stats.compressed++;
    this.stats.compressedSeconds += stored.seconds;
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

export interface CompressJobHandlerOptions {
  compression: ArchiveCompression;
  /**
   * The conversation's archive awaiting compression (or its superseded archive awaiting
   * deletion); undefined when there is nothing left to do. `storageLocation` set: the
   * archive is still staged on a recorder's disk (its upload job enqueues `compress`).
   */
  archiveOf(conversationId: string): Promise<(ArchiveToCompress & { storageLocation?: string }) | undefined>;
  /** Opus settings of jobs without their own (`voiceRecording.recorder.opus.*`) */
  defaults: CompressionOpusSettings;
  logger: Pick<LoggerService, 'warn' | 'error' | 'info' | 'debug'>;
}

/** The `compress` job handler: the conversation's archive, compressed (or its WAV deleted). */
export function createCompressJobHandler(options: CompressJobHandlerOptions): ArchiveJobHandler {
  return async (job, signal) => {
    const id = job.conversationId ?? job.subject;
    const opus = compressionSettingsOf(job, options.defaults);
    const item = await options.archiveOf(id);
    if (!item) {
      options.logger.debug(`compress job ${job.id}: conversation ${id} has nothing to compress (done already, or deleted)`);
      return;
    }
    if (item.storageLocation) {
      // still on a recorder's disk: its upload enqueues `compress` again once the archive
      // is in the shared store (and the periodic scan finds any left behind)
      options.logger.info(
        `compress job ${job.id}: conversation ${id} is still staged (${item.storageLocation}); compressed after its upload`,
      );
      return;
    }
    const outcome = await options.compression.process(item, opus, { signal, attempt: job.attempts });
    if (outcome === 'stale') {
      options.logger.info(`compress job ${job.id}: conversation ${id} changed meanwhile (compressed by another worker); this copy dropped`);
    }
  };
}
