import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CaptureContext,
  CaptureConversations,
  CaptureStoreError,
  RecordRefusedInput,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';

/** How long an INVITE may wait on the database in all (lookup, active count, begin). */
export const INVITE_DATABASE_BUDGET_MS = 1000;

/** Probe delays while the database is down (the last one repeats). */
const PROBE_DELAYS_MS = [500, 1000, 2000];
/** Down again within this long after coming back: the probe delays are not restarted. */
const FLAP_MS = 30_000;
/** An id no conversation has: the probe reads it. */
export const PROBE_ID = '00000000-0000-0000-0000-000000000000';

export interface DatabaseStatus {
  /** The last database operation failed with a retryable error and none succeeded since. */
  down: boolean;
  /** When it went down. */
  since?: Date;
  /** The error that took it down. */
  error?: string;
  /** Times it went down since the recorder started. */
  outages: number;
}

/**
 * Whether the voice-recording database is usable, as seen from the recorder's own
 * operations: a retryable CaptureStoreError (connection refused or lost, database
 * busy or full) marks it down, any answer from the database (a result, or a
 * not-found/conflict/invalid refusal) marks it up. While it is down a cheap read
 * probes it (after 0.5 s, 1 s, then every 2 s) so that new calls are accepted again soon
 * after it is back, without waiting for one to be refused first.
 *
 * A slow database is not a down one: timeouts on the INVITE path
 * ({@link withDeadline}) refuse that call but do not change the status; the
 * operation's own outcome does once it completes.
 */
export class DatabaseHealth {
  private downSince?: number;
  private upSince = 0;
  private lastError?: string;
  private outages = 0;
  private probeTimer?: NodeJS.Timeout;
  private probeAttempt = 0;
  private probing = false;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly options: {
      /** the unwrapped conversations (the probe reads through them) */
      conversations: Pick<CaptureConversations, 'get'>;
      logger: LoggerService;
      probeDelaysMs?: number[];
    },
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  status(): DatabaseStatus {
    return {
      down: this.down,
      ...(this.downSince !== undefined ? { since: new Date(this.downSince), error: this.lastError } : {}),
      outages: this.outages,
    };
  }

  /** Called each time the database comes back. */
  onUp(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reports the outcome of a database operation; returns it unchanged. */
  observe<T>(operation: Promise<T>): Promise<T> {
    operation.then(
      () => this.markUp(),
      e => {
        if (isCaptureStoreError(e)) {
          if (e.retryable) this.markDown(e);
          else this.markUp(); // the database answered
        }
      },
    );
    return operation;
  }

  /** The context with every policy and conversations call observed. */
  wrap(ctx: CaptureContext): CaptureContext {
    const c = ctx.conversations;
    const o = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) => this.observe(fn(...args));
    return {
      ...ctx,
      policy: { lookupAndDecide: o(r => ctx.policy.lookupAndDecide(r)) },
      conversations: {
        begin: o(i => c.begin(i)),
        update: o((id, p) => c.update(id, p)),
        finish: o((id, i) => c.finish(id, i)),
        recordRefused: o(i => c.recordRefused(i)),
        activeCount: o((id, options) => c.activeCount(id, options)),
        listInProgress: o(opts => c.listInProgress(opts)),
        get: o(id => c.get(id)),
        listArchivesToCompress: o(opts => c.listArchivesToCompress(opts)),
        replaceArchive: o((id, i) => c.replaceArchive(id, i)),
        forgetSupersededArchive: o((id, key) => c.forgetSupersededArchive(id, key)),
        ...(c.withdrawRefused ? { withdrawRefused: o((id: string, r: RecordRefusedInput) => c.withdrawRefused!(id, r)) } : {}),
      },
    };
  }

  /** Stops probing. */
  close(): void {
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private markDown(e: CaptureStoreError): void {
    this.lastError = shortStoreMessage(e.message);
    if (this.downSince !== undefined) return;
    const now = Date.now();
    this.downSince = now;
    this.outages++;
    // up only briefly (e.g. reads work, writes fail): the probe keeps backing off
    const flapping = now - this.upSince < FLAP_MS;
    if (!flapping) this.probeAttempt = 0;
    const log = flapping ? this.options.logger.warn : this.options.logger.error;
    log.call(
      this.options.logger,
      `database unavailable${flapping ? ' again' : ''}: ${this.lastError}; new calls are refused with 503, calls in progress ` +
        'keep recording to their journals and are registered once it is back',
    );
    this.scheduleProbe();
  }

  private markUp(): void {
    if (this.downSince === undefined) return;
    const seconds = ((Date.now() - this.downSince) / 1000).toFixed(1);
    this.downSince = undefined;
    this.upSince = Date.now();
    this.lastError = undefined;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.options.logger.info(`database available again after ${seconds} s; accepting new calls`);
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.options.logger.error(`database health listener failed: ${(e as Error)?.stack ?? e}`);
      }
    }
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer || this.probing || !this.down) return;
    const delays = this.options.probeDelaysMs ?? PROBE_DELAYS_MS;
    const delay = delays[Math.min(this.probeAttempt, delays.length - 1)];
    this.probeAttempt++;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.probing = true;
      this.observe(this.options.conversations.get(PROBE_ID))
        .catch(() => undefined)
        .finally(() => {
          this.probing = false;
          this.scheduleProbe(); // no-op once up
        });
    }, delay);
    this.probeTimer.unref();
  }
}

/**
 * A store error's message without the SQL statement knex puts before the driver's
 * message (`... database unavailable: insert into ... values (...) - database or disk
 * is full`): what is kept in refused-session records and logs.
 */
export function shortStoreMessage(message: string): string {
  // knex: "<sql> - <reason>", sometimes behind the driver's error name ("SqliteError: ")
  const m = /^(.*?database unavailable: )(?:\w*Error: )?(?:select|insert|update|delete|with)\b(.*)$/is.exec(message);
  if (!m) return message.slice(0, 500);
  const sep = m[2].lastIndexOf(' - ');
  return `${m[1]}${sep >= 0 ? m[2].slice(sep + 3) : 'an SQL statement failed'}`.slice(0, 500);
}

/** The retryable error of a database operation that outlasted the call set-up budget. */
export function setupBudgetExceeded(operation: string, budgetMs: number): CaptureStoreError {
  return new CaptureStoreError('unavailable', operation, `no answer from the database within the call set-up budget of ${budgetMs} ms`);
}

/**
 * `operation` bounded by a call set-up deadline (epoch ms): past it, rejects with a
 * retryable CaptureStoreError naming the budget. The operation itself goes on;
 * `onLate` gets its result when it succeeds after the deadline.
 */
export function withDeadline<T>(
  operation: Promise<T>,
  limit: { deadline: number; budgetMs: number; operation: string; onLate?: (value: T) => void },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(setupBudgetExceeded(limit.operation, limit.budgetMs));
    }, Math.max(0, limit.deadline - Date.now()));
    operation.then(
      value => {
        clearTimeout(timer);
        if (!late) resolve(value);
        else limit.onLate?.(value);
      },
      e => {
        clearTimeout(timer);
        if (!late) reject(e);
      },
    );
  });
}
