import {
  ARCHIVE_JOB_KINDS,
  ArchiveJob,
  ArchiveJobKind,
  ArchiveJobQueue,
  ArchiveJobQueueStats,
  ArchiveJobState,
  ClaimArchiveJobsRequest,
  EnqueueArchiveJob,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { toIso } from './util';

const T = 'vr_archive_jobs';

/** Longest error text kept on a job. */
const MAX_ERROR_CHARS = 2000;

const STATES: readonly ArchiveJobState[] = [
  'queued',
  'running',
  'done',
  'dead',
];

export interface ListArchiveJobsOptions {
  state?: ArchiveJobState;
  kind?: ArchiveJobKind;
  /** default 50, at most 500 */
  limit?: number;
  /** the `nextCursor` of the previous page */
  cursor?: string;
}

export interface ArchiveJobsPage {
  /** newest first */
  jobs: ArchiveJob[];
  /** present when there may be more */
  nextCursor?: string;
}

export type RetryArchiveJobResult =
  /** `previous`: the dead job as it was (its last error and attempts) */
  | { outcome: 'retried'; job: ArchiveJob; previous: ArchiveJob }
  | { outcome: 'not-found' }
  /** only dead jobs are retried by hand */
  | { outcome: 'not-dead'; job: ArchiveJob }
  /** another open job of the same kind and subject exists (enqueued since it died) */
  | { outcome: 'duplicate'; job: ArchiveJob; openJobId: string };

function parseJson(s: unknown): Record<string, unknown> | undefined {
  if (typeof s !== 'string' || !s) return undefined;
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

function fromRow(r: any): ArchiveJob {
  return {
    id: String(r.id),
    kind: r.kind as ArchiveJobKind,
    subject: r.subject,
    ...(r.conversation_id ? { conversationId: r.conversation_id } : {}),
    ...(r.payload ? { payload: parseJson(r.payload) } : {}),
    ...(r.affinity ? { affinity: r.affinity } : {}),
    state: r.state as ArchiveJobState,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    runAfter: toIso(r.run_after),
    ...(r.lease_owner ? { leaseOwner: r.lease_owner } : {}),
    ...(r.lease_until ? { leaseUntil: toIso(r.lease_until) } : {}),
    ...(r.last_error ? { lastError: r.last_error } : {}),
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.updated_at),
    ...(r.finished_at ? { finishedAt: toIso(r.finished_at) } : {}),
  };
}

/** Timestamps as epoch millis (SQLite) or Date (pg) to millis. */
function toMillis(value: unknown): number {
  return new Date(toIso(value)).getTime();
}

/** A unique index refused the insert (an open job of that kind and subject exists). */
function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err?.code === '23505' ||
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed|duplicate key value/.test(String(err?.message))
  );
}

function isId(id: string): boolean {
  return /^[1-9][0-9]{0,17}$/.test(id);
}

function checkEnqueue(job: EnqueueArchiveJob): void {
  if (!ARCHIVE_JOB_KINDS.includes(job.kind))
    throw new Error(
      `archive job: unknown kind ${JSON.stringify(
        job.kind,
      )} (one of ${ARCHIVE_JOB_KINDS.join(', ')})`,
    );
  if (
    typeof job.subject !== 'string' ||
    !job.subject ||
    job.subject.length > 1024
  )
    throw new Error(
      `archive job ${job.kind}: subject must be a non-empty string of at most 1024 characters`,
    );
  if (
    job.affinity !== undefined &&
    job.affinity !== null &&
    (!job.affinity || job.affinity.length > 255)
  )
    throw new Error(
      `archive job ${job.kind} ${job.subject}: affinity must be a non-empty instance id of at most 255 characters`,
    );
  if (
    job.maxAttempts !== undefined &&
    (!Number.isInteger(job.maxAttempts) || job.maxAttempts < 1)
  )
    throw new Error(
      `archive job ${job.kind} ${job.subject}: maxAttempts must be a positive integer, got ${job.maxAttempts}`,
    );
  if (job.conversationId !== undefined && job.conversationId.length > 36)
    throw new Error(
      `archive job ${job.kind} ${job.subject}: conversationId longer than 36 characters`,
    );
}

function checkClaim(r: ClaimArchiveJobsRequest): void {
  if (!r.workerId) throw new Error('archive job claim: workerId is empty');
  if (!Number.isInteger(r.limit) || r.limit < 0)
    throw new Error(
      `archive job claim: limit must be a non-negative integer, got ${r.limit}`,
    );
  if (!(r.leaseMs > 0))
    throw new Error(
      `archive job claim: leaseMs must be positive, got ${r.leaseMs}`,
    );
  for (const k of r.kinds)
    if (!ARCHIVE_JOB_KINDS.includes(k))
      throw new Error(`archive job claim: unknown kind ${JSON.stringify(k)}`);
}

/**
 * The archive work queue on the voice-recording database (vr_archive_jobs; migration
 * 20261207100000_archive_jobs.js explains the columns).
 *
 * Claiming on PostgreSQL is one statement, `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
 * SKIP LOCKED) RETURNING *`: concurrent workers (in any number of processes) skip the
 * rows another is taking and never get the same job. On SQLite (one process) a
 * transaction reads the due jobs and takes each with a compare-and-set on its state.
 *
 * A claim counts an attempt. A job whose lease ran out (its worker died or hung) is
 * claimable again, as long as it has attempts left; with none left the next claim marks
 * it dead. Renew, complete, fail and release are conditional on the caller still being
 * the lease owner of the running job, so a worker whose job was taken over writes
 * nothing.
 */
export class ArchiveJobsStore implements ArchiveJobQueue {
  private readonly pg: boolean;
  private readonly buryIntervalMs: number;
  /** when the last claim looked for exhausted jobs to bury (the claim's clock) */
  private lastBury = Number.NEGATIVE_INFINITY;

  /**
   * `buryIntervalMs`: how often a claim looks for running jobs whose lease ran out with
   * no attempts left, to mark them dead (default 5 s; 0: every claim). Claims never take
   * such a job either way; this only decides when it shows as dead.
   */
  constructor(
    private readonly db: Knex,
    options: { buryIntervalMs?: number } = {},
  ) {
    this.pg = db.client.config.client === 'pg';
    this.buryIntervalMs = options.buryIntervalMs ?? 5_000;
  }

  async enqueue(job: EnqueueArchiveJob, now = new Date()): Promise<string> {
    checkEnqueue(job);
    // A few rounds: between a refused insert and the read of the open job, that job may
    // have finished (then the insert goes through on the next round).
    // The insert first (one statement on the usual path); refused by the unique index,
    // the open job's id.
    for (let round = 0; round < 5; round++) {
      try {
        // outside any transaction: on PostgreSQL a refused insert would abort it
        const inserted = await this.db(T)
          .insert({
            kind: job.kind,
            subject: job.subject,
            conversation_id: job.conversationId ?? null,
            payload: job.payload ? JSON.stringify(job.payload) : null,
            affinity: job.affinity ?? null,
            state: 'queued',
            attempts: 0,
            max_attempts: job.maxAttempts ?? 8,
            run_after: job.runAfter ?? now,
            created_at: now,
            updated_at: now,
          })
          .returning('id');
        const first = inserted[0] as unknown;
        return String(
          typeof first === 'object' && first !== null
            ? (first as { id: unknown }).id
            : first,
        );
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
      const open = await this.openJob(job.kind, job.subject);
      if (open) return open;
    }
    throw new Error(
      `archive job ${job.kind} ${job.subject}: could not enqueue (its open job kept changing)`,
    );
  }

  private async openJob(
    kind: ArchiveJobKind,
    subject: string,
  ): Promise<string | undefined> {
    const row = await this.db(T)
      .where({ kind, subject })
      .whereIn('state', ['queued', 'running'])
      .first('id');
    return row ? String(row.id) : undefined;
  }

  async claim(
    request: ClaimArchiveJobsRequest,
    now = new Date(),
  ): Promise<ArchiveJob[]> {
    checkClaim(request);
    if (request.limit === 0 || request.kinds.length === 0) return [];
    if (Math.abs(now.getTime() - this.lastBury) >= this.buryIntervalMs) {
      this.lastBury = now.getTime();
      await this.buryExhausted(now);
    }
    const leaseUntil = new Date(now.getTime() + request.leaseMs);
    const due = (qb: Knex.QueryBuilder) =>
      qb
        .whereIn('kind', request.kinds)
        .where(b => {
          b.whereNull('affinity');
          if (request.instanceIds.length)
            b.orWhereIn('affinity', request.instanceIds);
        })
        .where(b =>
          b
            .where(q =>
              q.where('state', 'queued').where('run_after', '<=', now),
            )
            .orWhere(q =>
              q
                .where('state', 'running')
                .where('lease_until', '<', now)
                .whereRaw('attempts < max_attempts'),
            ),
        );
    const take = {
      state: 'running',
      lease_owner: request.workerId,
      lease_until: leaseUntil,
      attempts: this.db.raw('attempts + 1'),
      updated_at: now,
    };
    if (this.pg) {
      const sub = due(this.db(T).select('id'))
        .orderBy('run_after', 'asc')
        .orderBy('id', 'asc')
        .limit(request.limit);
      // The conditions again on the outer UPDATE: when a row it found was taken by
      // another claim that committed meanwhile, PostgreSQL re-checks the UPDATE's own
      // conditions on the row's newest version (READ COMMITTED), and they no longer hold.
      // Without them a job could be taken twice (seen with two pools and affinity).
      const rows = await due(this.db(T).whereIn('id', sub))
        .update(take)
        .returning('*');
      return rows
        .map(fromRow)
        .sort(
          (a, b) =>
            Date.parse(a.runAfter) - Date.parse(b.runAfter) ||
            Number(a.id) - Number(b.id),
        );
    }
    return this.db.transaction(async tx => {
      const candidates = await due(tx(T).select('id', 'state', 'lease_until'))
        .orderBy('run_after', 'asc')
        .orderBy('id', 'asc')
        .limit(request.limit);
      const taken: ArchiveJob[] = [];
      for (const c of candidates) {
        // compare-and-set on the state read (SQLite has no row locks); the job as
        // taken comes back with the UPDATE
        const rows = await tx(T)
          .where({ id: c.id, state: c.state })
          .modify(b => {
            if (c.state === 'running') b.where('lease_until', '<', now);
          })
          .update(take)
          .returning('*');
        if (rows.length === 1) taken.push(fromRow(rows[0]));
      }
      return taken;
    });
  }

  /** Running jobs whose lease ran out with no attempts left: dead. */
  private async buryExhausted(now: Date): Promise<void> {
    const rows = await this.db(T)
      .where('state', 'running')
      .where('lease_until', '<', now)
      .whereRaw('attempts >= max_attempts')
      .select('id', 'attempts', 'lease_owner');
    for (const r of rows)
      await this.db(T)
        .where({ id: r.id, state: 'running', lease_owner: r.lease_owner })
        .where('lease_until', '<', now)
        .update({
          state: 'dead',
          last_error: `the lease of worker ${r.lease_owner} ran out with no attempts left (${r.attempts} attempts; the worker stopped or hung)`,
          lease_owner: null,
          lease_until: null,
          finished_at: now,
          updated_at: now,
        });
  }

  private owned(jobId: string, workerId: string) {
    return this.db(T).where({
      id: jobId,
      state: 'running',
      lease_owner: workerId,
    });
  }

  async renew(
    jobId: string,
    workerId: string,
    leaseMs: number,
    now = new Date(),
  ): Promise<boolean> {
    if (!(leaseMs > 0))
      throw new Error(
        `archive job ${jobId} renewal: leaseMs must be positive, got ${leaseMs}`,
      );
    if (!isId(jobId)) return false;
    const n = await this.owned(jobId, workerId).update({
      lease_until: new Date(now.getTime() + leaseMs),
      updated_at: now,
    });
    return n === 1;
  }

  async complete(
    jobId: string,
    workerId: string,
    now = new Date(),
  ): Promise<boolean> {
    if (!isId(jobId)) return false;
    const n = await this.owned(jobId, workerId).update({
      state: 'done',
      lease_owner: null,
      lease_until: null,
      finished_at: now,
      updated_at: now,
    });
    return n === 1;
  }

  async fail(
    jobId: string,
    workerId: string,
    error: string,
    options: { retryInMs: number; permanent?: boolean; countAttempt?: boolean },
    now = new Date(),
  ): Promise<boolean> {
    if (!options.permanent && !(options.retryInMs >= 0))
      throw new Error(
        `archive job ${jobId} failure: retryInMs must be a non-negative number, got ${options.retryInMs}`,
      );
    if (!isId(jobId)) return false;
    const lastError = String(error).slice(0, MAX_ERROR_CHARS);
    const common = {
      lease_owner: null,
      lease_until: null,
      last_error: lastError,
      updated_at: now,
    };
    if (options.permanent) {
      const n = await this.owned(jobId, workerId).update({
        ...common,
        state: 'dead',
        finished_at: now,
      });
      return n === 1;
    }
    if (options.countAttempt === false) {
      // a failure outside the job (storage outage): the attempt is given back, never dead
      const n = await this.owned(jobId, workerId).update({
        ...common,
        state: 'queued',
        attempts: this.db.raw(
          'CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END',
        ),
        run_after: new Date(now.getTime() + options.retryInMs),
      });
      return n === 1;
    }
    // attempts left: back to queued after the back-off; none left: dead
    const retry = await this.owned(jobId, workerId)
      .whereRaw('attempts < max_attempts')
      .update({
        ...common,
        state: 'queued',
        run_after: new Date(now.getTime() + options.retryInMs),
      });
    if (retry === 1) return true;
    const dead = await this.owned(jobId, workerId).update({
      ...common,
      state: 'dead',
      finished_at: now,
    });
    return dead === 1;
  }

  /**
   * Gives a claimed job back without spending its attempt (the worker is stopping):
   * queued again, due now. False when the worker no longer owns it.
   */
  async release(
    jobId: string,
    workerId: string,
    now = new Date(),
  ): Promise<boolean> {
    if (!isId(jobId)) return false;
    const n = await this.owned(jobId, workerId).update({
      state: 'queued',
      attempts: this.db.raw(
        'CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END',
      ),
      lease_owner: null,
      lease_until: null,
      run_after: now,
      updated_at: now,
    });
    return n === 1;
  }

  async stats(now = new Date()): Promise<ArchiveJobQueueStats[]> {
    const counts = await this.db(T)
      .whereIn('state', ['queued', 'running', 'dead'])
      .groupBy('kind', 'state')
      .select('kind', 'state')
      .count({ n: '*' });
    const oldest = await this.db(T)
      .whereIn('state', ['queued', 'running'])
      .groupBy('kind')
      .select('kind')
      .min({ created: 'created_at' });
    const byKind = new Map<string, ArchiveJobQueueStats>();
    for (const kind of ARCHIVE_JOB_KINDS)
      byKind.set(kind, {
        kind,
        queued: 0,
        running: 0,
        dead: 0,
        oldestAgeSeconds: 0,
      });
    const statOf = (kind: string) => {
      let s = byKind.get(kind);
      if (!s) {
        // a kind this version does not know (written by a newer one): still shown
        s = {
          kind: kind as ArchiveJobKind,
          queued: 0,
          running: 0,
          dead: 0,
          oldestAgeSeconds: 0,
        };
        byKind.set(kind, s);
      }
      return s;
    };
    for (const c of counts as any[]) {
      const s = statOf(c.kind);
      if (c.state === 'queued' || c.state === 'running' || c.state === 'dead')
        s[c.state as 'queued' | 'running' | 'dead'] = Number(c.n);
    }
    for (const o of oldest as any[]) {
      if (o.created === null || o.created === undefined) continue;
      statOf(o.kind).oldestAgeSeconds = Math.max(
        0,
        Math.floor((now.getTime() - toMillis(o.created)) / 1000),
      );
    }
    return [...byKind.values()];
  }

  async openJobsOf(conversationId: string): Promise<ArchiveJob[]> {
    return (
      await this.db(T)
        .where('conversation_id', conversationId)
        .whereIn('state', ['queued', 'running'])
        .orderBy('id', 'asc')
    ).map(fromRow);
  }

  async get(id: string): Promise<ArchiveJob | undefined> {
    if (!isId(id)) return undefined;
    const row = await this.db(T).where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  /** Jobs of a state and kind, newest first, a page at a time. */
  async listJobs(
    options: ListArchiveJobsOptions = {},
  ): Promise<ArchiveJobsPage> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? 50), 1), 500);
    if (options.state && !STATES.includes(options.state))
      throw new Error(
        `archive jobs: unknown state ${JSON.stringify(
          options.state,
        )} (one of ${STATES.join(', ')})`,
      );
    if (options.kind && !ARCHIVE_JOB_KINDS.includes(options.kind))
      throw new Error(
        `archive jobs: unknown kind ${JSON.stringify(
          options.kind,
        )} (one of ${ARCHIVE_JOB_KINDS.join(', ')})`,
      );
    if (options.cursor !== undefined && !isId(options.cursor))
      throw new Error(
        `archive jobs: cursor ${JSON.stringify(
          options.cursor,
        )} is not one this API gave`,
      );
    const qb = this.db(T)
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (options.state) qb.where('state', options.state);
    if (options.kind) qb.where('kind', options.kind);
    if (options.cursor) qb.where('id', '<', options.cursor);
    const rows = (await qb).map(fromRow);
    const more = rows.length > limit;
    const jobs = more ? rows.slice(0, limit) : rows;
    return {
      jobs,
      ...(more ? { nextCursor: jobs[jobs.length - 1].id } : {}),
    };
  }

  /** A dead job queued again by hand, due now, with all its attempts. */
  async retry(id: string, now = new Date()): Promise<RetryArchiveJobResult> {
    const job = await this.get(id);
    if (!job) return { outcome: 'not-found' };
    if (job.state !== 'dead') return { outcome: 'not-dead', job };
    try {
      const n = await this.db(T).where({ id, state: 'dead' }).update({
        state: 'queued',
        attempts: 0,
        run_after: now,
        finished_at: null,
        updated_at: now,
      });
      const after = (await this.get(id))!;
      if (n !== 1) return { outcome: 'not-dead', job: after };
      return { outcome: 'retried', job: after, previous: job };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const openJobId = await this.openJob(job.kind, job.subject);
      return { outcome: 'duplicate', job, openJobId: openJobId ?? '' };
    }
  }

  /**
   * Deletes done jobs finished before `olderThan`, `batch` rows per statement (short
   * statements beside the workers' claims); returns how many.
   */
  async purgeDone(olderThan: Date, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.db(T)
        .whereIn(
          'id',
          this.db(T)
            .select('id')
            .where('state', 'done')
            .where('finished_at', '<', olderThan)
            .limit(batch),
        )
        .delete();
      total += n;
      if (n < batch) return total;
    }
  }
}
