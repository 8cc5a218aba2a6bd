import * as fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CaptureConversations,
  RecordRefusedInput,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
import { DatabaseHealth } from './databaseHealth';
import { RegistrationJob, registerOnce } from './register';

const RETRY_DELAYS_MS = [1000, 2000, 5000];
const MAX_REFUSALS = 10_000;
/** Attempts for a refused-session record the database keeps failing with an unexpected error. */
const MAX_REFUSAL_FAILURES = 10;

interface PendingRegistration {
  job: RegistrationJob;
  /** an attempt is running */
  busy: boolean;
  /** the first attempt: true when it registered */
  first: Promise<boolean>;
  failures: number;
  /** queued without a first attempt (the database was known to be down) */
  deferred: boolean;
}

export interface RegistrationQueueStats {
  /** conversations waiting to be registered (their journals are kept) */
  pendingRegistrations: number;
  /** refused-session records waiting for the database (in memory only) */
  pendingRefusals: number;
  /** registered after their first attempt failed */
  registeredLate: number;
  /** refused-session records dropped: queue full, or the recorder stopped first */
  refusalsDropped: number;
}

/**
 * The database writes a call must not lose while the database is unavailable:
 * conversation registrations (update + finish + journal deletion) and refused-session
 * records. Each is tried at once (unless the database is known to be down); what fails
 * with a retryable error waits here and is retried, one at a time and in order, when
 * the database comes back ({@link DatabaseHealth}) and with back-off (1, 2, then every 5 s).
 *
 * - A conversation is queued once (keyed by its id): a second `register` for it
 *   returns the first one's outcome instead of finishing it again.
 * - A journal is deleted only after `finish` succeeded, or after a refused `finish`
 *   when the database says the conversation is no longer `recording`. Otherwise it
 *   stays: pending registrations survive a stop or a crash as journals, registered
 *   at the next start.
 * - Refused-session records are kept in memory only (at most 10,000; the oldest go
 *   first); the refusal itself is always logged.
 */
export class RegistrationQueue {
  private readonly registrations = new Map<string, PendingRegistration>();
  private readonly refusals: RecordRefusedInput[] = [];
  /** unexpected (non-outage) failures of the first queued refusal */
  private headFailures = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private attempt = 0;
  private lastFailureAt = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly counters = { registeredLate: 0, refusalsDropped: 0 };
  private readonly unsubscribe?: () => void;

  constructor(
    private readonly options: {
      conversations: CaptureConversations;
      logger: LoggerService;
      /** retries wait for it to be up, and start as soon as it is */
      health?: DatabaseHealth;
      retryDelaysMs?: number[];
      maxRefusals?: number;
      /** after each registration that went through (e.g. to compress its archive) */
      onRegistered?: (job: RegistrationJob) => void;
    },
  ) {
    this.unsubscribe = options.health?.onUp(() => this.kick());
  }

  get stats(): RegistrationQueueStats {
    return {
      pendingRegistrations: this.registrations.size,
      pendingRefusals: this.refusals.length,
      ...this.counters,
    };
  }

  /** Conversation ids waiting to be registered. */
  pendingIds(): string[] {
    return [...this.registrations.keys()];
  }

  /**
   * Registers the conversation now, or queues it when the database is unavailable.
   * Resolves true when this first attempt registered it.
   */
  register(job: RegistrationJob): Promise<boolean> {
    const existing = this.registrations.get(job.conversationId);
    if (existing) return existing.first;
    const entry: PendingRegistration = { job, busy: false, first: Promise.resolve(false), failures: 0, deferred: false };
    this.registrations.set(job.conversationId, entry);
    if (this.closed || this.options.health?.down || job.archive) {
      entry.deferred = true;
      this.options.logger.warn(
        `conversation ${job.conversationId}: ${job.archive ? `${job.finish.failureReason}; archive` : 'database unavailable, registration'} queued` +
          `${job.journalPath ? ` (journal ${job.journalPath} kept)` : ''}`,
      );
      this.schedule();
      return entry.first;
    }
    entry.first = this.tryOne(entry).then(outcome => {
      if (outcome !== 'registered' && outcome !== 'given-up') this.schedule();
      return outcome === 'registered';
    });
    return entry.first;
  }

  /** Writes the refused-session record now, or keeps it until the database is back. */
  recordRefused(input: RecordRefusedInput): void {
    if (this.closed || this.options.health?.down || this.refusals.length) {
      this.queueRefusal(input);
      return;
    }
    this.options.conversations.recordRefused(input).then(
      () => undefined,
      e => {
        // an outage or an unexpected error: retried; refused by the database (invalid): logged
        if (!isCaptureStoreError(e) || e.retryable || e.code === 'failed') this.queueRefusal(input);
        else this.options.logger.warn(`cannot record the refused session ${input.sipCallId}: ${(e as Error).message}`);
      },
    );
  }

  /** Resolves once nothing waits (for a bounded wait at shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  /**
   * Stops retrying. Pending registrations keep their journals (registered at the
   * next start); pending refused-session records are logged and dropped.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { logger } = this.options;
    if (this.registrations.size) {
      logger.warn(
        `${this.registrations.size} conversation(s) not registered (database unavailable): ` +
          `${[...this.registrations.keys()].join(', ')}; their journals are registered at the next start`,
      );
    }
    if (this.refusals.length) {
      this.counters.refusalsDropped += this.refusals.length;
      const lost = this.refusals.map(r => `${r.at.toISOString()} ${r.sipCallId} ${r.responseCode} ${r.reason}`).join('; ');
      logger.warn(`${this.refusals.length} refused-session record(s) not written (database unavailable): ${lost}`);
      this.refusals.length = 0;
    }
    this.notifyIdle(true);
  }

  private isIdle(): boolean {
    return this.registrations.size === 0 && this.refusals.length === 0;
  }

  private notifyIdle(force = false): void {
    if (!force && !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private queueRefusal(input: RecordRefusedInput): void {
    const max = this.options.maxRefusals ?? MAX_REFUSALS;
    if (this.closed) {
      this.counters.refusalsDropped++;
      this.options.logger.warn(`refused session ${input.sipCallId} not recorded: the recorder is stopping`);
      return;
    }
    if (this.refusals.length >= max) {
      const dropped = this.refusals.shift()!;
      this.counters.refusalsDropped++;
      this.options.logger.warn(
        `refused-session queue full (${max}): dropped ${dropped.at.toISOString()} ${dropped.sipCallId} ${dropped.reason}`,
      );
    }
    this.refusals.push(input);
    this.schedule();
  }

  /**
   * One attempt: registered, given up (journal kept), to retry (database), or to
   * retry once the archive can be written (storage).
   */
  private async tryOne(entry: PendingRegistration): Promise<'registered' | 'given-up' | 'retry' | 'archive-pending'> {
    entry.busy = true;
    try {
      if (entry.job.archive) {
        // the archive first (storage was unavailable); then what it returns is registered
        const next = await entry.job.archive();
        if (next.archive) {
          entry.failures++;
          if (entry.failures === 1 || entry.failures % 10 === 0) {
            this.options.logger.warn(
              `conversation ${entry.job.conversationId}: archive still cannot be written (attempt ${entry.failures}: ` +
                `${next.finish.failureReason}); journal ${entry.job.journalPath} kept`,
            );
          }
          return 'archive-pending';
        }
        entry.job = { ...next, ...(entry.job.patch || next.patch ? { patch: { ...entry.job.patch, ...next.patch } } : {}) };
      }
      const job = entry.job;
      await registerOnce(job, this.options.conversations);
      this.registrations.delete(job.conversationId);
      this.options.onRegistered?.(job);
      if (entry.failures || entry.deferred) {
        this.counters.registeredLate++;
        this.options.logger.info(
          `conversation ${job.conversationId} registered once the database/storage was back (${entry.failures} failed attempt(s))` +
            `${job.deleteJournal ? '; journal deleted' : ''}`,
        );
      }
      this.notifyIdle();
      return 'registered';
    } catch (e) {
      entry.failures++;
      const done = await this.onFailure(entry, e);
      if (!done) return 'retry';
      this.registrations.delete(entry.job.conversationId);
      this.notifyIdle();
      return 'given-up';
    } finally {
      entry.busy = false;
    }
  }

  /** True when there is nothing more to try for this entry. */
  private async onFailure(entry: PendingRegistration, e: unknown): Promise<boolean> {
    const { job } = entry;
    const { logger, conversations } = this.options;
    const message = (e as Error)?.message ?? String(e);
    const kept = job.journalPath ? `; journal ${job.journalPath} kept` : '';
    if (!isCaptureStoreError(e) || e.retryable || e.code === 'failed') {
      // outage, or an unexpected database/file error: try again later
      if (entry.failures === 1 || entry.failures % 10 === 0) {
        logger.warn(`conversation ${job.conversationId}: not registered yet (attempt ${entry.failures}): ${message}${kept}`);
      }
      return false;
    }
    // the database refused it (not-found, invalid, conflict): is the conversation finished anyway?
    try {
      const row = await conversations.get(job.conversationId);
      if (row && row.state !== 'recording') {
        logger.warn(`conversation ${job.conversationId} is already ${row.state} (${message})`);
        if (job.deleteJournal && job.journalPath) await fs.rm(job.journalPath, { force: true });
        return true;
      }
    } catch (err) {
      if (isCaptureStoreError(err) && err.retryable) return false;
    }
    logger.error(
      `conversation ${job.conversationId}: cannot register the recording: ${message}${
        job.journalPath ? `; journal ${job.journalPath} left in place for the next start or an operator` : ''
      }`,
    );
    return true;
  }

  private schedule(delay?: number): void {
    if (this.closed || this.timer || this.running || this.isIdle()) return;
    const delays = this.options.retryDelaysMs ?? RETRY_DELAYS_MS;
    const wait = delay ?? delays[Math.min(this.attempt, delays.length - 1)];
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // known down: the health probe's "up" starts the next pass
      if (this.options.health?.down) return;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  /** The database is back: retry now, unless the last failure is more recent than the back-off. */
  private kick(): void {
    if (this.closed || this.running || this.isIdle()) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const delays = this.options.retryDelaysMs ?? RETRY_DELAYS_MS;
    const backoff = this.attempt ? delays[Math.min(this.attempt - 1, delays.length - 1)] : 0;
    this.schedule(Math.max(0, this.lastFailureAt + backoff - Date.now()));
  }

  /** Retries everything in order; stops at the first retryable failure. */
  private async pass(): Promise<void> {
    let failed = false;
    let dbFailed = false;
    for (const entry of [...this.registrations.values()]) {
      if (this.closed) return;
      if (entry.busy || this.registrations.get(entry.job.conversationId) !== entry) continue;
      const outcome = await this.tryOne(entry);
      if (outcome === 'archive-pending') failed = true; // storage: the others may still go through
      if (outcome === 'retry') {
        failed = dbFailed = true; // database: the next ones would fail too
        break;
      }
    }
    while (!dbFailed && this.refusals.length && !this.closed) {
      const input = this.refusals[0];
      try {
        await this.options.conversations.recordRefused(input);
        this.refusals.shift();
        this.headFailures = 0;
      } catch (e) {
        const outage = isCaptureStoreError(e) && e.retryable;
        const unexpected = !isCaptureStoreError(e) || e.code === 'failed';
        if (outage || (unexpected && ++this.headFailures < MAX_REFUSAL_FAILURES)) {
          failed = dbFailed = true;
        } else {
          this.refusals.shift();
          this.headFailures = 0;
          this.counters.refusalsDropped++;
          this.options.logger.warn(`cannot record the refused session ${input.sipCallId}: ${(e as Error).message}`);
        }
      }
    }
    if (failed) {
      this.attempt++;
      this.lastFailureAt = Date.now();
    } else {
      this.attempt = 0;
    }
    this.notifyIdle();
  }
}
