import { randomUUID } from 'node:crypto';
import {
  ExportJob,
  ExportJobState,
  ExportScope,
} from '@mvr/plugin-voice-recording-common';
import { ConversationQuery } from '@mvr/plugin-voice-recording-node';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import { ConversationSearchFilters } from './ConversationSearchStore';
import { toIso } from './util';

const T = 'vr_export_jobs';

/** A job as the worker needs it: with what it stands for in the search. */
export interface ExportJobRecord extends ExportJob {
  filters: ConversationSearchFilters;
  visibility?: PermissionCriteria<ConversationQuery>;
  blobKey?: string;
  attempts: number;
  leaseOwner?: string;
}

export interface NewExportJob {
  scope: ExportScope;
  scopeTitle: string;
  filters: ConversationSearchFilters;
  visibility?: PermissionCriteria<ConversationQuery>;
  includeMp3: boolean;
  requestedBy: string;
}

/** Filters as JSON (dates as ISO strings) and back. */
function filtersToJson(f: ConversationSearchFilters): string {
  return JSON.stringify(f);
}
function filtersFromJson(s: string): ConversationSearchFilters {
  const f = JSON.parse(s) as ConversationSearchFilters & {
    from?: string;
    to?: string;
  };
  return {
    ...f,
    from: f.from ? new Date(f.from) : undefined,
    to: f.to ? new Date(f.to) : undefined,
  };
}

function fromRow(r: any): ExportJobRecord {
  return {
    id: r.id,
    scope: JSON.parse(r.scope),
    scopeTitle: r.scope_title,
    includeMp3: Boolean(r.include_mp3),
    state: r.state as ExportJobState,
    requestedBy: r.requested_by,
    requestedAt: toIso(r.requested_at),
    done: Number(r.done),
    total: Number(r.total),
    skipped: Number(r.skipped),
    ...(r.finished_at ? { finishedAt: toIso(r.finished_at) } : {}),
    ...(r.expires_at ? { expiresAt: toIso(r.expires_at) } : {}),
    ...(r.sha256 ? { sha256: r.sha256 } : {}),
    ...(r.bytes !== null && r.bytes !== undefined
      ? { bytes: Number(r.bytes) }
      : {}),
    ...(r.error ? { error: r.error } : {}),
    filters: filtersFromJson(r.filters),
    ...(r.visibility ? { visibility: JSON.parse(r.visibility) } : {}),
    ...(r.blob_key ? { blobKey: r.blob_key } : {}),
    attempts: Number(r.attempts),
    ...(r.lease_owner ? { leaseOwner: r.lease_owner } : {}),
  };
}

/** The public view of a job (what the API answers). */
export function publicExportJob(j: ExportJobRecord): ExportJob {
  const {
    filters: _f,
    visibility: _v,
    blobKey: _b,
    attempts: _a,
    leaseOwner: _l,
    ...rest
  } = j;
  return rest;
}

/**
 * Export jobs (vr_export_jobs). One builder per job: `claim` takes the oldest queued
 * job or a running one whose lease ran out (its instance died), on PostgreSQL with
 * `FOR UPDATE SKIP LOCKED` so that concurrent instances never take the same row; every
 * later write of the builder (progress, completion, failure) is conditional on still
 * holding the lease, so a builder that was taken over cannot overwrite the new one.
 */
export class ExportJobsStore {
  constructor(private readonly db: Knex) {}

  async create(job: NewExportJob, now = new Date()): Promise<ExportJobRecord> {
    const id = randomUUID();
    await this.db(T).insert({
      id,
      scope: JSON.stringify(job.scope),
      scope_title: job.scopeTitle.slice(0, 300),
      filters: filtersToJson(job.filters),
      visibility: job.visibility ? JSON.stringify(job.visibility) : null,
      include_mp3: job.includeMp3,
      state: 'queued',
      requested_by: job.requestedBy,
      requested_at: now,
      done: 0,
      total: 0,
      skipped: 0,
      attempts: 0,
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<ExportJobRecord | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.db(T).where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  /** Newest first; `requestedBy`: only that user's jobs. */
  async list(options: {
    requestedBy?: string;
    limit?: number;
  }): Promise<ExportJobRecord[]> {
    const qb = this.db(T)
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit ?? 200);
    if (options.requestedBy) qb.where('requested_by', options.requestedBy);
    return (await qb).map(fromRow);
  }

  /**
   * Takes one job to build: the oldest queued one, or a running one whose lease ran
   * out. `maxAttempts`: a job whose builders died that many times is failed instead.
   */
  async claim(
    owner: string,
    leaseMs: number,
    options: { now?: Date; maxAttempts?: number } = {},
  ): Promise<ExportJobRecord | undefined> {
    const now = options.now ?? new Date();
    const maxAttempts = options.maxAttempts ?? 3;
    const pg = this.db.client.config.client === 'pg';
    return this.db.transaction(async tx => {
      const qb = tx(T)
        .where('state', 'queued')
        .orWhere(b =>
          b.where('state', 'running').where('lease_until', '<', now),
        )
        .orderBy('requested_at', 'asc')
        .orderBy('id', 'asc')
        .first();
      if (pg) qb.forUpdate().skipLocked();
      const row = await qb;
      if (!row) return undefined;
      if (row.state === 'running' && Number(row.attempts) >= maxAttempts) {
        await tx(T)
          .where({ id: row.id })
          .update({
            state: 'failed',
            finished_at: now,
            lease_owner: null,
            lease_until: null,
            error: `the export's builder stopped ${row.attempts} times without finishing (instance ended or restarted); create it again`,
          });
        return undefined;
      }
      // compare-and-set on the state read (SQLite: no row locks; the update decides)
      const updated = await tx(T)
        .where({ id: row.id, state: row.state })
        .modify(b => {
          if (row.state === 'running') b.where('lease_until', '<', now);
        })
        .update({
          state: 'running',
          lease_owner: owner,
          lease_until: new Date(now.getTime() + leaseMs),
          attempts: Number(row.attempts) + 1,
          started_at: row.started_at ?? now,
          done: 0,
        });
      if (updated !== 1) return undefined;
      return fromRow((await tx(T).where({ id: row.id }).first())!);
    });
  }

  /** Progress and a longer lease; false when the job is no longer this owner's. */
  async heartbeat(
    id: string,
    owner: string,
    progress: { done: number; total: number; skipped?: number },
    leaseMs: number,
    now = new Date(),
  ): Promise<boolean> {
    const n = await this.db(T)
      .where({ id, lease_owner: owner, state: 'running' })
      .update({
        done: progress.done,
        total: progress.total,
        ...(progress.skipped !== undefined
          ? { skipped: progress.skipped }
          : {}),
        lease_until: new Date(now.getTime() + leaseMs),
      });
    return n === 1;
  }

  async complete(
    id: string,
    owner: string,
    result: {
      blobKey: string;
      sha256: string;
      bytes: number;
      done: number;
      total: number;
      skipped: number;
      expiresAt: Date;
    },
    now = new Date(),
  ): Promise<boolean> {
    const n = await this.db(T)
      .where({ id, lease_owner: owner, state: 'running' })
      .update({
        state: 'done',
        blob_key: result.blobKey,
        sha256: result.sha256,
        bytes: result.bytes,
        done: result.done,
        total: result.total,
        skipped: result.skipped,
        finished_at: now,
        expires_at: result.expiresAt,
        lease_owner: null,
        lease_until: null,
      });
    return n === 1;
  }

  async fail(
    id: string,
    owner: string,
    error: string,
    now = new Date(),
  ): Promise<boolean> {
    const n = await this.db(T)
      .where({ id, lease_owner: owner, state: 'running' })
      .update({
        state: 'failed',
        error: error.slice(0, 2000),
        finished_at: now,
        lease_owner: null,
        lease_until: null,
      });
    return n === 1;
  }

  /** Done jobs past their expiry (their packages are to be deleted). */
  async listExpired(now = new Date(), limit = 100): Promise<ExportJobRecord[]> {
    return (
      await this.db(T)
        .where('state', 'done')
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
    ).map(fromRow);
  }

  /** Marks a done job expired (its package deleted); false when it was not done. */
  async markExpired(id: string): Promise<boolean> {
    const n = await this.db(T)
      .where({ id, state: 'done' })
      .update({ state: 'expired' });
    return n === 1;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db(T).where({ id }).delete()) === 1;
  }
}
