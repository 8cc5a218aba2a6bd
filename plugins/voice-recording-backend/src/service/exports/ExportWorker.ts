import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import { BlobStore } from '@mvr/plugin-voice-recording-node';
import {
  ExportJobRecord,
  ExportJobsStore,
} from '../../database/ExportJobsStore';
import { AuditRecorder } from '../AuditRecorder';
import {
  ExportAbortedError,
  ExportPackageBuilder,
} from './ExportPackageBuilder';

/** The actor of what the worker does on its own (completion, failure, expiry). */
export const EXPORT_SYSTEM_ACTOR = 'plugin:voice-recording';

/**
 * Where a job's package is stored: `exports/<id>.zip`; a build that took over a dead
 * instance's job writes `exports/<id>.attempt-<n>.zip`, so that the instance it took
 * over (should it come back to life) never writes over the package of record.
 */
export const exportBlobKey = (id: string, attempt = 1) =>
  attempt <= 1 ? `exports/${id}.zip` : `exports/${id}.attempt-${attempt}.zip`;

/** Every file of a job (each attempt's). */
export const exportBlobPrefix = (id: string) => `exports/${id}.`;

export interface ExportWorkerOptions {
  jobs: ExportJobsStore;
  builder: ExportPackageBuilder;
  blobs: BlobStore;
  audit: AuditRecorder;
  logger: LoggerService;
  /** How long a package is kept after it is done (days). */
  expiryDays: number;
  /** A builder that does not renew its lease within this time is taken over. */
  leaseMs?: number;
  /** How often an idle worker looks for jobs (and expired packages). */
  pollMs?: number;
  /** This instance's id (default: host, pid and a random part). */
  instanceId?: string;
  /** Progress is written (and the lease renewed) at most this often. */
  heartbeatMs?: number;
}

/**
 * Builds export packages in the background, in-process: one job at a time per
 * instance; on PostgreSQL several instances share the queue (`ExportJobsStore.claim`,
 * FOR UPDATE SKIP LOCKED and a lease), and a job whose instance died is taken over
 * when its lease runs out. Deleting a job stops its build at the next progress update.
 * Done packages are deleted once they expire.
 */
export class ExportWorker {
  readonly instanceId: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  /** Not started yet, or stopped: nothing is scheduled. */
  private stopped = true;
  /** stop() was called: a build in progress ends at its next progress update. */
  private stopping = false;
  /** The lease renewals of the builds in progress. */
  private readonly renewals = new Set<NodeJS.Timeout>();

  constructor(private readonly options: ExportWorkerOptions) {
    this.instanceId =
      options.instanceId ??
      `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
  }

  start() {
    this.stopped = false;
    this.stopping = false;
    this.schedule(this.pollMs);
  }

  /** Looks for work now (a job was created). */
  kick() {
    if (this.stopped) return;
    this.schedule(0);
  }

  /**
   * Stops looking for jobs; a build in progress stops renewing its lease at once (so that
   * another instance may take the job over) and ends at its next progress update.
   */
  async stop() {
    this.stopped = true;
    this.stopping = true;
    for (const t of this.renewals) clearInterval(t);
    this.renewals.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private schedule(ms: number) {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain()
        .catch(e => this.options.logger.error(`voice-recording exports: ${e}`))
        .finally(() => {
          this.running = undefined;
          if (this.stopped) return;
          const soon = this.again;
          this.again = false;
          this.schedule(soon ? 0 : this.pollMs);
        });
    }, ms);
    this.timer.unref?.();
  }

  private async drain() {
    await this.expireDue();
    while (!this.stopping && (await this.runOnce()));
  }

  /** Claims one job and builds it; false when there was none to take. */
  async runOnce(): Promise<boolean> {
    const job = await this.options.jobs.claim(this.instanceId, this.leaseMs);
    if (!job) return false;
    await this.build(job);
    return true;
  }

  private async build(job: ExportJobRecord) {
    const { jobs, builder, audit, logger } = this.options;
    const key = exportBlobKey(job.id, job.attempts);
    const started = Date.now();
    let last = 0;
    let progress = { done: 0, total: 0, skipped: 0 };
    // the lease is also renewed while one step takes long (an MP3 encode of a long call,
    // a slow store): a live builder keeps its job; a dead instance's lease runs out
    let lost = false;
    const renewal = setInterval(() => {
      jobs.heartbeat(job.id, this.instanceId, progress, this.leaseMs).then(
        ok => {
          if (!ok) lost = true;
        },
        e =>
          logger.warn(
            `voice-recording export ${job.id}: lease not renewed: ${e}`,
          ),
      );
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
    renewal.unref?.();
    this.renewals.add(renewal);
    logger.info(
      `voice-recording export ${job.id} (${job.scopeTitle}): building on ${this.instanceId}, attempt ${job.attempts}`,
    );
    try {
      const result = await builder.build(
        {
          exportId: job.id,
          createdAt: job.requestedAt,
          createdBy: job.requestedBy,
          scope: job.scope,
          scopeTitle: job.scopeTitle,
          filters: job.filters,
          visibility: job.visibility,
          includeMp3: job.includeMp3,
        },
        key,
        async p => {
          progress = p;
          if (this.stopping || lost) return false;
          const now = Date.now();
          if (now - last < this.heartbeatMs && p.done + p.skipped < p.total)
            return true;
          last = now;
          return jobs.heartbeat(job.id, this.instanceId, p, this.leaseMs);
        },
      );
      // the package expires exactly expiryDays after the job's finish
      const finishedAt = new Date();
      const expiresAt = new Date(
        finishedAt.getTime() + this.options.expiryDays * 86_400_000,
      );
      const completed = await jobs.complete(
        job.id,
        this.instanceId,
        {
          blobKey: key,
          sha256: result.sha256,
          bytes: result.bytes,
          done: result.done,
          total: result.total,
          skipped: result.skipped,
          expiresAt,
        },
        finishedAt,
      );
      if (!completed) {
        // deleted or taken over meanwhile: this package is not the job's (its key is
        // this attempt's own)
        await this.options.blobs.delete(key).catch(() => undefined);
        logger.info(
          `voice-recording export ${job.id}: built, but the job was deleted or taken over meanwhile; package discarded`,
        );
        return;
      }
      logger.info(
        `voice-recording export ${job.id}: ${result.done} recordings, ${
          result.bytes
        } bytes in ${Date.now() - started} ms`,
      );
      await audit.record({
        actor: { ref: EXPORT_SYSTEM_ACTOR },
        action: 'export-complete',
        targetType: 'export',
        targetId: job.id,
        details: {
          scopeTitle: job.scopeTitle,
          requestedBy: job.requestedBy,
          sha256: result.sha256,
          bytes: result.bytes,
          count: result.done,
          skipped: result.skipped,
          conversationIds: result.conversationIds.slice(0, 1000),
          expiresAt: expiresAt.toISOString(),
        },
        severity: 'medium',
      });
    } catch (e) {
      if (e instanceof ExportAbortedError) {
        logger.info(`voice-recording export ${job.id}: stopped (${e.message})`);
        return;
      }
      const message = (e as Error)?.message ?? String(e);
      logger.error(`voice-recording export ${job.id} failed: ${message}`);
      if (await jobs.fail(job.id, this.instanceId, message)) {
        await audit.record({
          actor: { ref: EXPORT_SYSTEM_ACTOR },
          action: 'export-fail',
          targetType: 'export',
          targetId: job.id,
          details: {
            scopeTitle: job.scopeTitle,
            requestedBy: job.requestedBy,
          },
          error: e as Error,
          severity: 'medium',
        });
      }
    } finally {
      clearInterval(renewal);
      this.renewals.delete(renewal);
    }
  }

  /** Deletes the packages of done jobs past their expiry; how many. */
  async expireDue(now = new Date()): Promise<number> {
    let n = 0;
    for (const job of await this.options.jobs.listExpired(now)) {
      await this.options.blobs.delete(job.blobKey ?? exportBlobKey(job.id));
      if (await this.options.jobs.markExpired(job.id)) {
        n++;
        await this.options.audit.record({
          actor: { ref: EXPORT_SYSTEM_ACTOR },
          action: 'export-expire',
          targetType: 'export',
          targetId: job.id,
          details: {
            scopeTitle: job.scopeTitle,
            requestedBy: job.requestedBy,
            ...(job.sha256 ? { sha256: job.sha256 } : {}),
          },
          severity: 'low',
        });
      }
    }
    return n;
  }
}
