import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ArchiveJob,
  ArchiveJobHandler,
  ArchiveJobKind,
  ArchiveJobQueue,
  PermanentArchiveJobError,
  isStorageOutage,
} from './archiveJobs';

export interface ArchiveJobWorkerOptions {
  queue: ArchiveJobQueue;
  /** unique per process, e.g. `<instanceId>:<pid>`; the lease owner of the jobs it takes */
  workerId: string;
  /** the instances whose affinity jobs this worker may take (its own instance id) */
  instanceIds: string[];
  /** the kinds this process takes, and how */
  handlers: Partial<Record<ArchiveJobKind, ArchiveJobHandler>>;
  /** jobs run at the same time (default 1) */
  concurrency?: number;
  /** lease per claim, renewed every leaseMs / 3 while the handler runs (default 60 s) */
  leaseMs?: number;
  /** how often an idle worker looks for due jobs (default 2 s); `notify()` looks at once */
  pollIntervalMs?: number;
  /** delay before the next attempt after failed attempt number `attempts` (1-based) */
  backoff?: (attempts: number) => number;
  /**
   * When set, a storage outage (`isStorageOutage`) spends no attempt: the attempt is given
   * back and tried again after this delay, so an outage of any length kills no job.
   * Unset (default): an outage is an ordinary failed attempt (the uploads' own back-off
   * and 10,000 attempts cover outages already).
   */
  outageRetryMs?: number;
  logger?: Pick<LoggerService, 'info' | 'warn' | 'error' | 'debug'>;
}

/** Counters since start (for logs and status endpoints). */
export interface ArchiveJobWorkerStats {
  running: number;
  claimed: number;
  completed: number;
  /** attempts that failed and will be retried */
  retried: number;
  /** jobs this worker moved to dead (permanent error or no attempts left) */
  dead: number;
  /** jobs whose lease this worker lost while running them (another worker may have them) */
  leaseLost: number;
  /** jobs given back when stopping */
  released: number;
  /** claims that failed (e.g. the database was unreachable) */
  claimErrors: number;
}

/** 5 s · 2^(attempts-1), at most one hour. */
export function defaultArchiveJobBackoff(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(5_000 * 2 ** Math.min(n - 1, 30), 3_600_000);
}

const MAX_ERROR_CHARS = 2000;

function errorText(e: unknown): string {
  const text =
    e instanceof Error ? e.message || e.name : String(e ?? 'unknown error');
  return text.slice(0, MAX_ERROR_CHARS);
}

interface Running {
  job: ArchiveJob;
  controller: AbortController;
  done: Promise<void>;
  /** why the handler was aborted, if it was */
  abortReason?: 'stopping' | 'lease-lost';
  /** the handler has returned: a renewal answering late changes nothing */
  handlerDone?: boolean;
}

/**
 * Takes archive jobs of the kinds it has handlers for from the queue and runs them, up to
 * `concurrency` at a time: every process that does archive work (recorder, portal,
 * dedicated archiver) runs one.
 *
 * While a handler runs its lease is renewed every leaseMs / 3; if the queue says the
 * worker no longer owns the job (the lease ran out and another worker took it), or no
 * renewal succeeded before the lease's end, the handler's signal is aborted and its
 * outcome is not written. A handler that throws fails the attempt with back-off
 * (`PermanentArchiveJobError`: dead at once). `stop()` stops claiming, aborts running
 * handlers and gives their jobs back to the queue.
 */
export class ArchiveJobWorker {
  private readonly queue: ArchiveJobQueue;
  private readonly workerId: string;
  private readonly instanceIds: string[];
  private readonly handlers: Partial<Record<ArchiveJobKind, ArchiveJobHandler>>;
  private readonly kinds: ArchiveJobKind[];
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly backoff: (attempts: number) => number;
  private readonly outageRetryMs?: number;
  private readonly logger?: ArchiveJobWorkerOptions['logger'];

  private readonly running = new Map<string, Running>();
  private started = false;
  private stopping = false;
  private claiming?: Promise<void>;
  /** a notify() or a finished job while a claim was under way: look again after it */
  private lookAgain = false;
  private timer?: ReturnType<typeof setTimeout>;
  /** the last claim found nothing to take (with free slots) */
  private drained = false;
  private idleWaiters: Array<() => void> = [];
  private readonly counters = {
    claimed: 0,
    completed: 0,
    retried: 0,
    dead: 0,
    leaseLost: 0,
    released: 0,
    claimErrors: 0,
  };

  constructor(options: ArchiveJobWorkerOptions) {
    if (!options.workerId)
      throw new Error('ArchiveJobWorker: workerId is empty');
    this.queue = options.queue;
    this.workerId = options.workerId;
    this.instanceIds = options.instanceIds;
    this.handlers = options.handlers;
    this.kinds = (Object.keys(options.handlers) as ArchiveJobKind[]).filter(
      k => typeof options.handlers[k] === 'function',
    );
    this.concurrency = options.concurrency ?? 1;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.backoff = options.backoff ?? defaultArchiveJobBackoff;
    this.outageRetryMs = options.outageRetryMs;
    this.logger = options.logger;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw new Error(
        `ArchiveJobWorker ${this.workerId}: concurrency must be a positive integer, got ${options.concurrency}`,
      );
    if (!(this.leaseMs >= 30))
      throw new Error(
        `ArchiveJobWorker ${this.workerId}: leaseMs must be at least 30, got ${options.leaseMs}`,
      );
    if (!(this.pollIntervalMs > 0))
      throw new Error(
        `ArchiveJobWorker ${this.workerId}: pollIntervalMs must be positive, got ${options.pollIntervalMs}`,
      );
  }

  /** Starts claiming (no-op when started or when it has no handlers). */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.logger?.info(
      `Archive job worker ${this.workerId} started: kinds ${
        this.kinds.join(', ') || 'none'
      }, concurrency ${this.concurrency}`,
    );
    this.kick();
  }

  /** A job was enqueued: look for due jobs now instead of at the next poll. */
  notify(): void {
    if (!this.started || this.stopping) return;
    this.kick();
  }

  /**
   * Stops claiming, aborts the running handlers (their signal) and waits for them; their
   * jobs go back to the queue without spending the attempt.
   */
  async stop(): Promise<void> {
    if (this.stopping) {
      await this.settled();
      return;
    }
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const r of this.running.values()) {
      r.abortReason ??= 'stopping';
      r.controller.abort(new Error('the archive job worker is stopping'));
    }
    await this.settled();
    this.resolveIdle();
    if (this.started)
      this.logger?.info(
        `Archive job worker ${this.workerId} stopped: ${JSON.stringify(
          this.stats(),
        )}`,
      );
  }

  private async settled(): Promise<void> {
    while (this.claiming || this.running.size) {
      await Promise.all([
        this.claiming,
        ...[...this.running.values()].map(r => r.done),
      ]);
    }
  }

  /**
   * Resolves once no job runs and a claim found nothing due (for tests; `notify()` first
   * when jobs were just enqueued).
   */
  idle(): Promise<void> {
    if (this.isIdle() || this.stopping || !this.started)
      return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  stats(): ArchiveJobWorkerStats {
    return { running: this.running.size, ...this.counters };
  }

  private isIdle(): boolean {
    return (
      this.drained &&
      !this.claiming &&
      !this.lookAgain &&
      this.running.size === 0
    );
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Claims now (or right after the claim under way). */
  private kick(): void {
    if (this.stopping) return;
    if (this.claiming) {
      this.lookAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.drained = false;
    this.claiming = this.claimOnce().finally(() => {
      this.claiming = undefined;
      this.afterClaim();
    });
  }

  private claimOutcome: 'full' | 'some' | 'none' | 'error' = 'none';

  private async claimOnce(): Promise<void> {
    const free = this.concurrency - this.running.size;
    if (free <= 0 || this.kinds.length === 0) {
      this.claimOutcome = this.kinds.length === 0 ? 'none' : 'full';
      return;
    }
    let jobs: ArchiveJob[];
    try {
      jobs = await this.queue.claim({
        workerId: this.workerId,
        instanceIds: this.instanceIds,
        kinds: this.kinds,
        limit: free,
        leaseMs: this.leaseMs,
      });
    } catch (e) {
      this.counters.claimErrors++;
      this.claimOutcome = 'error';
      this.logger?.warn(
        `Archive job worker ${this.workerId} could not claim jobs: ${errorText(
          e,
        )}`,
      );
      return;
    }
    this.counters.claimed += jobs.length;
    if (this.stopping) {
      // taken while stop() began: give them back at once
      await Promise.all(jobs.map(j => this.giveBack(j)));
      this.claimOutcome = 'none';
      return;
    }
    for (const job of jobs) this.launch(job);
    if (jobs.length === 0) this.claimOutcome = 'none';
    else this.claimOutcome = jobs.length >= free ? 'full' : 'some';
  }

  private afterClaim(): void {
    if (this.stopping) return;
    if (this.lookAgain) {
      this.lookAgain = false;
      this.kick();
      return;
    }
    if (
      this.claimOutcome === 'some' ||
      (this.claimOutcome === 'full' && this.running.size < this.concurrency)
    ) {
      // there may be more due jobs than the slots it had: look again at once
      this.kick();
      return;
    }
    if (this.claimOutcome === 'none') {
      this.drained = true;
      if (this.isIdle()) this.resolveIdle();
    }
    // full: a finished job kicks; none or error: poll
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.stopping || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.pollIntervalMs);
    // a poll alone does not keep the process alive
    (this.timer as { unref?: () => void }).unref?.();
  }

  private launch(job: ArchiveJob): void {
    const controller = new AbortController();
    const entry: Running = {
      job,
      controller,
      done: Promise.resolve(),
    };
    this.running.set(job.id, entry);
    entry.done = this.runJob(entry).finally(() => {
      this.running.delete(job.id);
      if (this.stopping) return;
      // a slot is free: look for more
      this.kick();
    });
  }

  private async runJob(entry: Running): Promise<void> {
    const { job, controller } = entry;
    const handler = this.handlers[job.kind];
    // the lease as the queue set it (its clock is this process's)
    let leaseEnd = job.leaseUntil
      ? Date.parse(job.leaseUntil)
      : Date.now() + this.leaseMs;
    let renewing: Promise<void> | undefined;
    const renewTimer = setInterval(() => {
      if (controller.signal.aborted) return;
      // a renewal that hangs (or keeps failing) past the lease's end: another worker
      // may take the job now
      if (Date.now() >= leaseEnd) {
        this.loseLease(entry, 'no renewal succeeded before its end');
        return;
      }
      if (renewing) return;
      renewing = (async () => {
        // the lease the store sets runs from about now (conservative: before the call)
        const asked = Date.now();
        try {
          const owned = await this.queue.renew(
            job.id,
            this.workerId,
            this.leaseMs,
          );
          if (owned) {
            leaseEnd = asked + this.leaseMs;
            return;
          }
          this.loseLease(entry, 'another worker took it (its lease ran out)');
        } catch (e) {
          if (Date.now() >= leaseEnd)
            this.loseLease(
              entry,
              `no renewal succeeded before its end: ${errorText(e)}`,
            );
          else
            this.logger?.warn(
              `Archive job ${job.id} (${job.kind} ${
                job.subject
              }): lease renewal failed, will retry: ${errorText(e)}`,
            );
        } finally {
          renewing = undefined;
        }
      })();
    }, Math.max(10, Math.floor(this.leaseMs / 3)));
    let outcome: { ok: true } | { ok: false; error: unknown };
    try {
      if (!handler)
        throw new PermanentArchiveJobError(
          `no handler for kind ${job.kind} in worker ${this.workerId}`,
        );
      await handler(job, controller.signal);
      outcome = { ok: true };
    } catch (e) {
      outcome = { ok: false, error: e };
    } finally {
      clearInterval(renewTimer);
      // not awaited: a renewal that hangs must not hold the job's outcome back (the
      // outcome's write is conditional on the lease anyway)
      entry.handlerDone = true;
    }
    try {
      if (entry.abortReason === 'lease-lost') return;
      if (entry.abortReason === 'stopping' && !outcome.ok) {
        // interrupted by stop(): not the job's failure (a handler that finished
        // anyway is completed below)
        await this.giveBack(job);
        return;
      }
      if (outcome.ok) {
        if (await this.queue.complete(job.id, this.workerId)) {
          this.counters.completed++;
          this.logger?.debug(
            `Archive job ${job.id} (${job.kind} ${job.subject}) done, attempt ${job.attempts}`,
          );
        } else {
          this.counters.leaseLost++;
          this.logger?.warn(
            `Archive job ${job.id} (${job.kind} ${job.subject}) finished but worker ${this.workerId} no longer owned it; its result is not recorded`,
          );
        }
        return;
      }
      const permanent = outcome.error instanceof PermanentArchiveJobError;
      // the storage is down: not the job's fault, the attempt is given back
      const outageRetryMs = this.outageRetryMs;
      const outage =
        outageRetryMs !== undefined &&
        !permanent &&
        isStorageOutage(outcome.error);
      const lastAttempt = !outage && job.attempts >= job.maxAttempts;
      let retryInMs = 0;
      if (outage) retryInMs = outageRetryMs;
      else if (!permanent && !lastAttempt)
        retryInMs = this.backoff(job.attempts);
      const text = errorText(outcome.error);
      const owned = await this.queue.fail(job.id, this.workerId, text, {
        retryInMs,
        permanent,
        ...(outage ? { countAttempt: false } : {}),
      });
      if (!owned) {
        this.counters.leaseLost++;
        this.logger?.warn(
          `Archive job ${job.id} (${job.kind} ${job.subject}) failed but worker ${this.workerId} no longer owned it: ${text}`,
        );
      } else if (permanent || lastAttempt) {
        this.counters.dead++;
        this.logger?.error(
          `Archive job ${job.id} (${job.kind} ${
            job.subject
          }) is dead after attempt ${job.attempts} of ${job.maxAttempts}${
            permanent ? ' (permanent error)' : ''
          }: ${text}`,
        );
      } else {
        this.counters.retried++;
        this.logger?.warn(
          `Archive job ${job.id} (${job.kind} ${job.subject}) attempt ${
            job.attempts
          } of ${job.maxAttempts} failed${
            outage ? ' (storage outage: the attempt is not counted)' : ''
          }, next in ${Math.round(retryInMs / 1000)} s: ${text}`,
        );
      }
    } catch (e) {
      // the queue is unreachable: the lease runs out and the job is taken again
      this.logger?.error(
        `Archive job ${job.id} (${job.kind} ${
          job.subject
        }): could not record its outcome: ${errorText(e)}`,
      );
    }
  }

  private loseLease(entry: Running, why: string): void {
    if (entry.abortReason || entry.handlerDone) return;
    entry.abortReason = 'lease-lost';
    this.counters.leaseLost++;
    this.logger?.warn(
      `Archive job ${entry.job.id} (${entry.job.kind} ${entry.job.subject}): worker ${this.workerId} lost its lease, ${why}; aborting it`,
    );
    entry.controller.abort(new Error(`lease lost: ${why}`));
  }

  private async giveBack(job: ArchiveJob): Promise<void> {
    try {
      const owned = this.queue.release
        ? await this.queue.release(job.id, this.workerId)
        : await this.queue.fail(job.id, this.workerId, 'the worker stopped', {
            retryInMs: 0,
          });
      if (owned) this.counters.released++;
    } catch (e) {
      this.logger?.warn(
        `Archive job ${job.id} (${job.kind} ${
          job.subject
        }): could not give it back (its lease will run out): ${errorText(e)}`,
      );
    }
  }
}
