import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CaptureConversations,
  RecordRefusedInput,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
import { safeLogText } from '../sip/message';
import { DatabaseHealth } from './databaseHealth';
import { RefusalSpool, SpooledRefusal } from './RefusalSpool';
import { RegistrationJob, registerOnce } from './register';

const RETRY_DELAYS_MS = [1000, 2000, 5000];
const MAX_REFUSALS = 10_000;
/** Attempts for a refused-session record the database keeps failing with an unexpected error. */
const MAX_REFUSAL_FAILURES = 10;

interface PendingRefusal {
  record: SpooledRefusal;
  /** resolves true once the record is on disk (false: no spool, or saving it failed) */
  saved: Promise<boolean>;
  /** the record is on disk: a stop need not wait for it */
  onDisk: boolean;
}

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
  /** refused-session records waiting for the database (on disk too when there is a spool) */
  pendingRefusals: number;
  /** registered after their first attempt failed */
  registeredLate: number;
  /**
   * refused-session records lost: not on disk (no spool, or saving failed) when the queue
   * was full or the recorder stopped, or refused by the database
   */
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
 * - Refused-session records get a stable id and, while they wait, a file in the
 *   {@link RefusalSpool} (when given): a stop or a crash leaves them for the next start
 *   ({@link RegistrationQueue.resumeRefusals}), and writing one again is harmless. At
 *   most 10,000 wait in memory; beyond that the oldest wait on disk only, for the next
 *   start. The refusal itself is always logged.
 */
export class RegistrationQueue {
  private readonly registrations = new Map<string, PendingRegistration>();
  private readonly refusals: PendingRefusal[] = [];
  /** unexpected (non-outage) failures of the first queued refusal */
  private headFailures = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private attempt = 0;
  private lastFailureAt = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly counters = { registeredLate: 0, refusalsDropped: 0 };
  private closing?: Promise<void>;
  private readonly unsubscribe?: () => void;

  constructor(
    private readonly options: {
      conversations: CaptureConversations;
      logger: LoggerService;
      /** retries wait for it to be up, and start as soon as it is */
      health?: DatabaseHealth;
      retryDelaysMs?: number[];
      maxRefusals?: number;
      /** where waiting refused-session records are kept across a stop or a crash */
      spool?: RefusalSpool;
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
    const record: SpooledRefusal = { ...input, id: input.id ?? randomUUID() };
    if (this.closed || this.options.health?.down || this.refusals.length) {
      this.queueRefusal(record);
      return;
    }
    this.options.conversations.recordRefused(record).then(
      () => undefined,
      e => {
        // an outage or an unexpected error: retried; refused by the database (invalid): logged
        if (!isCaptureStoreError(e) || e.retryable || e.code === 'failed') this.queueRefusal(record);
        else this.refusalRejected(record, e);
      },
    );
  }

  /** Records a previous run left in the spool (already on disk): written when the database answers. */
  resumeRefusals(records: SpooledRefusal[]): void {
    for (const record of records) {
      this.refusals.push({ record, saved: Promise.resolve(true), onDisk: true });
    }
    if (records.length) this.schedule(0);
  }

  /**
   * Resolves once nothing waits that a stop would lose: no registration, and no
   * refused-session record that is only in memory (for a bounded wait at shutdown).
   */
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
      const pending = this.refusals.splice(0);
      const { spool } = this.options;
      // settled quickly (a file each); the stop waits for them so the records are on disk or reported
      this.closing = Promise.all(pending.map(async p => ((await p.saved) ? undefined : p.record))).then(notSaved => {
        const lost = notSaved.filter((r): r is SpooledRefusal => r !== undefined);
        const kept = pending.length - lost.length;
        if (kept) {
          logger.warn(`${kept} refused-session record(s) not written yet (database unavailable): kept in ${spool!.dir} for the next start`);
        }
        if (lost.length) {
          this.counters.refusalsDropped += lost.length;
          logger.warn(`${lost.length} refused-session record(s) not written (database unavailable): ${lost.map(describeRefusal).join('; ')}`);
        }
      });
    }
    this.notifyIdle(true);
  }

  /** Resolves once close() has put the waiting refused-session records on disk or reported them. */
  whenClosed(): Promise<void> {
    return this.closing ?? Promise.resolve();
  }

  private hasWork(): boolean {
    return this.registrations.size > 0 || this.refusals.length > 0;
  }

  private isIdle(): boolean {
    return this.registrations.size === 0 && this.refusals.every(r => r.onDisk);
  }

  private notifyIdle(force = false): void {
    if (!force && !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Puts the record on disk (when there is a spool); true once it is there. */
  private save(record: SpooledRefusal): Promise<boolean> {
    const { spool, logger } = this.options;
    if (!spool) return Promise.resolve(false);
    return spool.save(record).then(
      () => true,
      e => {
        logger.warn(`refused session ${safeLogText(record.sipCallId)}: cannot keep its record in ${spool.dir} (${(e as Error).message}); kept in memory only`);
        return false;
      },
    );
  }

  private queueRefusal(record: SpooledRefusal): void {
    const { logger, spool } = this.options;
    const max = this.options.maxRefusals ?? MAX_REFUSALS;
    const saved = this.save(record);
    if (this.closed) {
      const reported = saved.then(onDisk => {
        if (onDisk) {
          logger.warn(`refused session ${safeLogText(record.sipCallId)}: the recorder is stopping; record kept in ${spool!.dir} for the next start`);
        } else {
          this.counters.refusalsDropped++;
          logger.warn(`refused session ${safeLogText(record.sipCallId)} not recorded: the recorder is stopping (${describeRefusal(record)})`);
        }
      });
      this.closing = Promise.all([this.closing, reported]).then(() => undefined);
      return;
    }
    if (this.refusals.length >= max) {
      const oldest = this.refusals.shift()!;
      void oldest.saved.then(onDisk => {
        if (onDisk) {
          logger.warn(`refused-session queue full (${max}): ${describeRefusal(oldest.record)} waits on disk only, written at the next start`);
        } else {
          this.counters.refusalsDropped++;
          logger.warn(`refused-session queue full (${max}): dropped ${describeRefusal(oldest.record)}`);
        }
      });
    }
    const pending: PendingRefusal = { record, saved, onDisk: false };
    void saved.then(onDisk => {
      pending.onDisk = onDisk;
      if (onDisk) this.notifyIdle();
    });
    this.refusals.push(pending);
    this.schedule();
  }

  /** The database refused the record itself (invalid): counted and logged (its file is set aside by forget). */
  private refusalRejected(record: SpooledRefusal, e: unknown): void {
    this.counters.refusalsDropped++;
    this.options.logger.warn(`cannot record the refused session ${safeLogText(record.sipCallId)}: ${safeLogText((e as Error).message)} (${describeRefusal(record)})`);
  }

  /** The database holds the record (or rejected it): its file goes (or is set aside) once it was written. */
  private forget(p: PendingRefusal, outcome: 'written' | 'rejected' = 'written'): void {
    const { spool, logger } = this.options;
    if (!spool) return;
    void p.saved
      .then(onDisk => {
        if (!onDisk) return undefined;
        return outcome === 'written' ? spool.remove(p.record) : spool.setAsideRejected(p.record);
      })
      .catch(e =>
        logger.warn(
          `refused session ${safeLogText(p.record.sipCallId)}: its file in ${spool.dir} could not be ${outcome === 'written' ? 'deleted' : 'set aside'} ` +
            `(${(e as Error).message}); the next start writes it again (kept once)`,
        ),
      );
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
    // a store error may quote what it refused (values from the call's metadata)
    const message = safeLogText((e as Error)?.message ?? String(e));
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
    if (this.closed || this.timer || this.running || !this.hasWork()) return;
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
    if (this.closed || this.running || !this.hasWork()) return;
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
      const head = this.refusals[0];
      try {
        await this.options.conversations.recordRefused(head.record);
        if (this.refusals[0] === head) this.refusals.shift();
        this.headFailures = 0;
        this.forget(head);
      } catch (e) {
        const outage = isCaptureStoreError(e) && e.retryable;
        const unexpected = !isCaptureStoreError(e) || e.code === 'failed';
        if (outage || (unexpected && ++this.headFailures < MAX_REFUSAL_FAILURES)) {
          failed = dbFailed = true;
        } else {
          // the database will not take it: logged, and its file set aside for an operator
          if (this.refusals[0] === head) this.refusals.shift();
          this.headFailures = 0;
          this.refusalRejected(head.record, e);
          this.forget(head, 'rejected');
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

function describeRefusal(r: RecordRefusedInput): string {
  return `${r.at.toISOString()} ${safeLogText(r.sipCallId)} ${r.responseCode} ${r.reason}`;
}
