/*
 * The archive work of one process (issue 20): an ArchiveJobWorker that takes `compress`
 * jobs from the queue and replaces interim WAVs with Ogg/Opus on encoder threads of the
 * lowest priority (nice 19), reading and writing the plugin's recording storage.
 *
 * It lives in the backend plugin, not in a capture module, so that it runs wherever
 * `voiceRecording.archive.enabled` says: in a recorder (the default where a recorder
 * runs: a single process as before), in a portal that enables it, and in a dedicated
 * archiver (packages/backend/src/archiver.ts: the plugin with no SIP port). Recorders
 * only enqueue (`compressJobFor`, when a call is registered with an interim WAV).
 *
 * A recovery scan (at start, then every `scanIntervalSeconds`) enqueues a job for every
 * conversation awaiting compression in the shared store that has no job queued, running
 * or dead: archives registered before the queue existed (an upgrade) or whose enqueue
 * failed. A dead job is retried by an admin (Recording health, Archive queue), not by the
 * scan.
 */
import * as os from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  ArchiveCompression,
  ArchiveCompressionStats,
  ArchiveJobHandler,
  ArchiveJobKind,
  ArchiveJobQueue,
  ArchiveJobWorker,
  ArchiveJobWorkerStats,
  BlobStore,
  CaptureConversations,
  OpusEncoderPool,
  PermanentArchiveJobError,
  compressJobFor,
  createCompressJobHandler,
} from '@mvr/plugin-voice-recording-node';
import { ConversationsStore } from '../database/ConversationsStore';
import { ArchiveWorkConfig } from './archiveConfig';

/** Archives a recovery scan enqueues at most at once (the next scan takes the rest). */
const SCAN_BATCH = 500;

export interface ArchiveWorkOptions {
  queue: ArchiveJobQueue;
  store: Pick<
    ConversationsStore,
    | 'archiveToCompress'
    | 'listCompressionsWithoutJob'
    | 'get'
    | 'forgetSupersededArchive'
  >;
  /**
   * The conversation records as its capture source sees them: the replacement is audited
   * (actor `capture:<source>`, both hashes) and the new archive signed there.
   */
  conversationsOf(
    captureSource: string,
  ): Pick<CaptureConversations, 'replaceArchive'>;
  /** the recording storage (the shared store recorders upload to) */
  blobStore: BlobStore;
  config: ArchiveWorkConfig;
  logger: LoggerService;
  /** lease owner: unique per process (default `<host>:<pid>:archive`) */
  workerId?: string;
  /** instances whose affinity jobs this worker may take (default: its host name) */
  instanceIds?: string[];
  /** tests */
  leaseMs?: number;
  pollIntervalMs?: number;
  /** tests: a pool of their own */
  pool?: OpusEncoderPool;
  /** builds derived files (`derive` jobs: the MP3 of a long call, see mp3DeriveHandler) */
  derive?: ArchiveJobHandler;
  /** retry delay after a storage outage, which spends no attempt (default 30 s) */
  outageRetryMs?: number;
}

export interface ArchiveWorkStats {
  workerId: string;
  worker: ArchiveJobWorkerStats;
  compression: ArchiveCompressionStats;
  /** jobs the recovery scans enqueued since the start */
  scanned: number;
}

/** The default lease owner of this process. */
export function defaultArchiveWorkerId(instanceId?: string): string {
  return `${instanceId ?? os.hostname()}:${process.pid}:archive`;
}

export class ArchiveWork {
  readonly workerId: string;
  readonly compression: ArchiveCompression;
  private readonly pool: OpusEncoderPool;
  private readonly worker: ArchiveJobWorker;
  private readonly sources = new Map<string, string>();
  private scanTimer?: NodeJS.Timeout;
  private scanning?: Promise<number>;
  private scannedTotal = 0;
  private stopped = false;

  constructor(private readonly options: ArchiveWorkOptions) {
    const { config, store, logger } = options;
    this.workerId = options.workerId ?? defaultArchiveWorkerId();
    // background work: libopus only gets the CPU that SIP, RTP and HTTP leave idle
    this.pool =
      options.pool ??
      new OpusEncoderPool({ threads: config.encoderThreads, niceness: 19 });
    this.compression = new ArchiveCompression({
      conversations: {
        get: id => store.get(id),
        replaceArchive: async (id, input) => {
          const source =
            this.sources.get(id) ??
            (await store.archiveToCompress(id))?.captureSource;
          if (!source) return 'stale';
          return options.conversationsOf(source).replaceArchive(id, input);
        },
        forgetSupersededArchive: (id, key) =>
          store.forgetSupersededArchive(id, key),
      },
      blobStore: options.blobStore,
      pool: this.pool,
      logger,
    });
    const compress = createCompressJobHandler({
      compression: this.compression,
      archiveOf: async id => {
        const item = await store.archiveToCompress(id);
        if (item) this.sources.set(id, item.captureSource);
        return item;
      },
      defaults: config.opus,
      logger,
    });
    this.worker = new ArchiveJobWorker({
      queue: options.queue,
      workerId: this.workerId,
      instanceIds: options.instanceIds ?? [os.hostname()],
      handlers: {
        compress: async (job, signal) => {
          try {
            await compress(job, signal);
          } finally {
            this.sources.delete(job.conversationId ?? job.subject);
          }
        },
        ...(options.derive ? { derive: options.derive } : {}),
      },
      concurrency: config.concurrency,
      leaseMs: options.leaseMs,
      pollIntervalMs: options.pollIntervalMs,
      // an object store or disk that is down spends no attempt: no compress job goes dead
      // in a storage outage, however long (docs/deployment.md, archive work queue)
      outageRetryMs: options.outageRetryMs ?? 30_000,
      logger,
    });
  }

  /** The kinds this process takes. */
  get kinds(): ArchiveJobKind[] {
    return this.options.derive ? ['compress', 'derive'] : ['compress'];
  }

  /** Takes jobs; scans for archives without a job now, then every scan interval. */
  start(): void {
    const { config, logger } = this.options;
    logger.info(
      `archive work: worker ${this.workerId} takes ${this.kinds.join(' and ')} jobs (${config.encoderThreads} encoder thread(s) at nice 19, ${config.concurrency} at once)`,
    );
    this.worker.start();
    const scan = () => {
      this.scanNow().catch(e =>
        logger.warn(
          `archive work: recovery scan failed (tried again in ${Math.round(config.scanIntervalMs / 1000)} s): ${(e as Error).message}`,
        ),
      );
    };
    scan();
    this.scanTimer = setInterval(scan, config.scanIntervalMs);
    this.scanTimer.unref();
  }

  /** A job was enqueued in this process: look now. */
  notify(): void {
    this.worker.notify();
  }

  /**
   * The queue as handed to capture sources: a `compress` job enqueued in this process is
   * looked at at once (not at the next poll).
   */
  notifying(queue: ArchiveJobQueue): ArchiveJobQueue {
    const kinds = new Set<ArchiveJobKind>(this.kinds);
    const wrapped = Object.create(queue) as ArchiveJobQueue;
    wrapped.enqueue = async job => {
      const id = await queue.enqueue(job);
      if (kinds.has(job.kind)) this.notify();
      return id;
    };
    return wrapped;
  }

  /**
   * Enqueues a `compress` job for every conversation awaiting compression with none
   * (at most SCAN_BATCH a scan); returns how many.
   */
  scanNow(): Promise<number> {
    if (this.scanning) return this.scanning;
    this.scanning = (async () => {
      const { store, queue, logger } = this.options;
      const found = await store.listCompressionsWithoutJob({
        limit: SCAN_BATCH,
      });
      let n = 0;
      for (const f of found) {
        if (this.stopped) break;
        await queue.enqueue(compressJobFor(f.conversationId));
        n++;
      }
      if (n) {
        this.scannedTotal += n;
        logger.info(
          `archive work: ${n} archive(s) awaiting compression had no job; enqueued`,
        );
        this.notify();
      }
      return n;
    })().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /** Resolves once no job runs and none is due (tests). */
  async idle(): Promise<void> {
    await this.scanning?.catch(() => undefined);
    this.worker.notify();
    await this.worker.idle();
  }

  stats(): ArchiveWorkStats {
    return {
      workerId: this.workerId,
      worker: this.worker.stats(),
      compression: { ...this.compression.stats },
      scanned: this.scannedTotal,
    };
  }

  /** Stops taking jobs; a job being encoded is given back (the WAV stays the recording). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    await this.scanning?.catch(() => undefined);
    await this.worker.stop();
    if (!this.options.pool) await this.pool.close();
  }
}

/**
 * The `derive` job handler: builds the derived file a job names (today the MP3 download
 * of a long call: `derivation: 'mp3'`, cached where the download route finds it). A
 * conversation deleted meanwhile leaves nothing to do; an unknown derivation is dead at
 * once.
 */
export function mp3DeriveHandler(deps: {
  conversation(id: string): Promise<Conversation | undefined>;
  mp3(c: Conversation): Promise<unknown>;
}): ArchiveJobHandler {
  return async job => {
    const derivation = job.payload?.derivation;
    if (derivation !== 'mp3') {
      throw new PermanentArchiveJobError(
        `derive job ${job.id}: unknown derivation ${JSON.stringify(derivation ?? null)} (known: mp3)`,
      );
    }
    const c = job.conversationId
      ? await deps.conversation(job.conversationId)
      : undefined;
    if (!c) return;
    await deps.mp3(c);
  };
}
