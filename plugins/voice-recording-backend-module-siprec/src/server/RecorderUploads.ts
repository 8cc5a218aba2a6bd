/*
 * The recorder's uploads to object storage (issue 20, docs/object-storage.md, "The
 * recorder's upload queue"). With `voiceRecording.storage.s3` the recorder's archive is a
 * StagingBlobStore: finished recordings are written to `recorder.storage.archiveDir` and an
 * `upload` job (affinity: this recorder's instance id) copies each to the bucket; this
 * recorder's ArchiveJobWorker runs them. A job verifies the object by reading it back,
 * clears the conversation's `staged:<instance>` location and only then deletes the local
 * file. An unreachable store fails the attempt and the job retries with back-off; calls
 * go on being recorded on the local disk meanwhile.
 */
import { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import {
  ArchiveJob,
  ArchiveJobQueue,
  ArchiveJobQueueStats,
  ArchiveJobWorker,
  ArchiveJobWorkerStats,
  CaptureContext,
  CaptureConversations,
  PermanentArchiveJobError,
  StagedBlob,
  StagingBlobStore,
  UploadVerificationError,
} from '@mvr/plugin-voice-recording-node';
import { RateLimitedLog } from './RateLimitedLog';

/** `voiceRecording.recorder.upload`, with defaults applied. */
export interface RecorderUploadConfig {
  /** uploads at a time (default 2) */
  concurrency: number;
  /** first retry after this long; each next one waits twice as long (default 5 s) */
  retryMinMs: number;
  /** ... up to this (default 300 s: an outage of hours costs one attempt per 5 minutes) */
  retryMaxMs: number;
  /** attempts before a job is dead (default 10000: an outage does not kill uploads; a corrupt staged file is dead at once) */
  maxAttempts: number;
  /** warn when the oldest staged recording is older than this (default 600 s); one line a minute at most */
  warnAgeMs: number;
}

export function readRecorderUploadConfig(config: RootConfigService): RecorderUploadConfig {
  const c = config.getOptionalConfig('voiceRecording.recorder.upload');
  const num = (key: string, def: number, min: number, max: number, integer = true): number => {
    const v = c?.getOptionalNumber(key);
    if (v === undefined) return def;
    if (!(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
      throw new Error(
        `voiceRecording.recorder.upload.${key}: must be ${integer ? 'a whole number ' : ''}from ${min} to ${max}, not ${v}`,
      );
    }
    return v;
  };
  const retryMinMs = num('retryMinSeconds', 5, 0.1, 3600, false) * 1000;
  const retryMaxMs = num('retryMaxSeconds', 300, 0.1, 86_400, false) * 1000;
  if (retryMaxMs < retryMinMs) {
    throw new Error(
      `voiceRecording.recorder.upload.retryMaxSeconds (${retryMaxMs / 1000}) is less than retryMinSeconds (${retryMinMs / 1000})`,
    );
  }
  return {
    concurrency: num('concurrency', 2, 1, 64),
    retryMinMs,
    retryMaxMs,
    maxAttempts: num('maxAttempts', 10_000, 1, 1_000_000),
    warnAgeMs: num('warnAfterSeconds', 600, 1, 31 * 86_400, false) * 1000,
  };
}

/** The `uploads` section of the recorder's health endpoint and its status. */
export interface RecorderUploadStatus {
  /** recordings waiting on this recorder's disk for their upload */
  staged: number;
  /** age of the oldest of them, seconds (0: none) */
  oldestAgeSeconds: number;
  /** of those, recordings whose job could not be enqueued yet (the database was down) */
  unqueued: number;
  /** this recorder's upload worker since its start */
  worker?: Pick<ArchiveJobWorkerStats, 'running' | 'completed' | 'retried' | 'dead'>;
}

/** The location a conversation staged on this recorder has. */
export function stagedLocation(instanceId: string): string {
  return `staged:${instanceId}`;
}

function payloadBlob(job: ArchiveJob): Partial<StagedBlob> {
  const p = job.payload ?? {};
  return {
    ...(typeof p.size === 'number' ? { size: p.size } : {}),
    ...(typeof p.sha256 === 'string' ? { sha256: p.sha256 } : {}),
    ...(p.retention === null ? { retention: null } : {}),
    ...(p.retention && typeof p.retention === 'object' ? { retention: p.retention as StagedBlob['retention'] } : {}),
    ...(p.legalHold === true ? { legalHold: true } : {}),
  };
}

export class RecorderUploads {
  private worker?: ArchiveJobWorker;
  private timer?: NodeJS.Timeout;
  private lastError?: { message: string; at: number };
  private readonly ageWarnings: RateLimitedLog;
  private readonly failures: RateLimitedLog;
  private queue?: ArchiveJobQueue;
  private scanning?: Promise<void>;
  private conversations?: CaptureConversations;

  constructor(
    readonly staging: StagingBlobStore,
    private readonly options: {
      instanceId: string;
      config: RecorderUploadConfig;
      logger: LoggerService;
      /** where the bucket is, for log lines (never a secret) */
      where: string;
    },
  ) {
    this.ageWarnings = new RateLimitedLog({ write: l => options.logger.warn(l), noun: 'upload queue age warnings', windowMs: 60_000 });
    this.failures = new RateLimitedLog({ write: l => options.logger.warn(l), noun: 'failed upload attempts', windowMs: 10_000 });
  }

  get location(): string {
    return stagedLocation(this.options.instanceId);
  }

  /** For StagingBlobStore.onStaged: enqueue the staged blob's upload. */
  readonly onStaged = async (blob: StagedBlob): Promise<void> => {
    const queue = this.queue;
    if (!queue) throw new Error('the archive job queue is not there yet');
    await queue.enqueue({
      kind: 'upload',
      subject: blob.key,
      affinity: this.options.instanceId,
      maxAttempts: this.options.config.maxAttempts,
      payload: { ...blob },
    });
    this.worker?.notify();
  };

  /**
   * The capture context the recorder gets: a conversation finished (or re-pointed at its
   * compressed archive) while its archive is staged says `staged:<instance>`. The check
   * and the write happen under the key's lock, which the upload also takes to clear the
   * location and delete the local copy: a location never says staged for a file that is
   * already gone.
   */
  wrap(ctx: CaptureContext): CaptureContext {
    const c = ctx.conversations;
    const staging = this.staging;
    const location = this.location;
    return {
      ...ctx,
      conversations: {
        // a plain object (the plugin's capture context): every method as it is but these two
        ...c,
        finish: (id, input) => {
          const key = input.storageKey;
          if (!key) return c.finish(id, input);
          return staging.withKey(key, async () =>
            c.finish(id, (await staging.isStaged(key)) ? { ...input, storageLocation: location } : input),
          );
        },
        replaceArchive: (id, input) =>
          staging.withKey(input.storageKey, async () =>
            c.replaceArchive(id, { ...input, storageLocation: (await staging.isStaged(input.storageKey)) ? location : null }),
          ),
      },
    };
  }

  /** The upload job: verified copy, location cleared, local file deleted. */
  readonly handle = async (job: ArchiveJob, signal?: AbortSignal): Promise<void> => {
    // the worker is stopping or lost the job's lease: leave it to the next attempt
    signal?.throwIfAborted();
    const key = job.subject;
    const expected = payloadBlob(job);
    const conversations = this.conversations;
    try {
      const done = await this.staging.upload(key, {
        ...(expected.size !== undefined && expected.sha256 ? { expected: { size: expected.size, sha256: expected.sha256 } } : {}),
        putOptions: {
          ...(expected.retention !== undefined ? { retention: expected.retention } : {}),
          ...(expected.legalHold ? { legalHold: true } : {}),
        },
        onVerified: async () => {
          await conversations?.setArchiveLocation?.(key, null, { expected: this.location });
        },
      });
      if (done.outcome === 'uploaded') {
        this.options.logger.debug(`uploaded ${key} (${done.size} bytes, SHA-256 ${done.sha256}) to ${this.options.where} in ${done.ms} ms, verified`);
        if (this.staging.stagedStats().staged === 0) this.lastError = undefined;
      } else {
        this.options.logger.info(`upload of ${key}: nothing staged under this key any more (deleted, or uploaded by an earlier attempt)`);
      }
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      this.lastError = { message, at: Date.now() };
      if (e instanceof UploadVerificationError && e.stagedFileCorrupt) {
        this.options.logger.error(`upload of ${key} given up: ${message}; the staged file is kept for an operator`);
        throw new PermanentArchiveJobError(message);
      }
      this.failures.log(`upload of ${key} to ${this.options.where} failed (attempt ${job.attempts}, retried with back-off; the staged file is kept): ${message}`);
      throw e;
    }
  };

  /** 5 s, 10 s, 20 s, ... up to retryMaxSeconds (as configured). */
  backoff(attempts: number): number {
    const { retryMinMs, retryMaxMs } = this.options.config;
    return Math.min(retryMinMs * 2 ** Math.min(Math.max(0, attempts - 1), 30), retryMaxMs);
  }

  /**
   * Starts uploading (before the recorder starts: its crash recovery may stage archives):
   * the worker takes this recorder's upload jobs, and the staging directory is scanned in
   * the background (staged files whose job was lost in a crash are enqueued again).
   */
  /** Resolves once the start-up scan is done (tests). */
  scanned(): Promise<void> {
    return this.scanning ?? Promise.resolve();
  }

  async start(ctx: CaptureContext): Promise<void> {
    if (!ctx.archiveJobs) {
      throw new Error(
        'voiceRecording.storage.s3 is set, but the voice-recording plugin gives the recorder no archive job queue: the uploads cannot run',
      );
    }
    this.queue = ctx.archiveJobs;
    this.conversations = ctx.conversations;
    this.worker = new ArchiveJobWorker({
      queue: ctx.archiveJobs,
      workerId: `${this.options.instanceId}:${process.pid}:uploads`,
      instanceIds: [this.options.instanceId],
      handlers: { upload: this.handle },
      concurrency: this.options.config.concurrency,
      backoff: n => this.backoff(n),
      pollIntervalMs: 1000,
      logger: this.options.logger,
    });
    this.worker.start();
    // in the background: the recorder takes calls meanwhile
    this.scanning = this.staging.scan().then(
      keys => {
        const stats = this.staging.stagedStats();
        if (keys.length) {
          const unqueued = stats.unqueued ? `; ${stats.unqueued} could not be enqueued yet (retried every 5 s)` : '';
          this.options.logger.info(
            `upload queue: ${keys.length} recording(s) staged in ${this.staging.local.root} at start (oldest ${stats.oldestAgeSeconds} s) for ${this.options.where}${unqueued}`,
          );
        }
      },
      e => this.options.logger.error(`upload queue: the start-up scan of ${this.staging.local.root} failed: ${(e as Error)?.message ?? e}`),
    );
    this.timer = setInterval(() => void this.tick(), 5_000);
    this.timer.unref();
  }

  /** Enqueues again what could not be, and warns (once a minute at most) when uploads fall behind. */
  async tick(now = Date.now()): Promise<void> {
    if (this.staging.unqueued) await this.staging.retryUnqueued().catch(() => undefined);
    const s = this.staging.stagedStats(now);
    if (s.staged && s.oldestAgeSeconds * 1000 >= this.options.config.warnAgeMs) {
      const why = this.lastError ? ` (last error: ${this.lastError.message})` : '';
      this.ageWarnings.log(
        `upload queue behind: ${s.staged} recording(s) staged in ${this.staging.local.root}, the oldest for ${s.oldestAgeSeconds} s, waiting for ${this.options.where}${why}`,
      );
    }
  }

  status(): RecorderUploadStatus {
    const s = this.staging.stagedStats();
    const w = this.worker?.stats();
    return {
      staged: s.staged,
      oldestAgeSeconds: s.oldestAgeSeconds,
      unqueued: s.unqueued,
      ...(w ? { worker: { running: w.running, completed: w.completed, retried: w.retried, dead: w.dead } } : {}),
    };
  }

  /** The queue's own figures for uploads (all recorders), for the metrics. */
  async queueStats(): Promise<ArchiveJobQueueStats | undefined> {
    return (await this.queue?.stats())?.find(s => s.kind === 'upload');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.scanning;
    await this.worker?.stop();
  }
}
