import { Knex } from 'knex';
import { JsonObject } from '@backstage/types';
import { toIso } from './util';
import {
  AUDIT_CHAIN_GENESIS,
  AuditChainRow,
  auditEntryHash,
} from './auditChain';

export interface AuditLogEntry {
  id: string;
  at: string;
  actorRef: string;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: JsonObject;
  /** Position in the hash chain (docs/audit-trail.md). */
  seq?: number;
  /** SHA-256 of the entry, chained to the previous one. */
  hash?: string;
}

export interface AuditLogInput {
  actorRef: string;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: JsonObject;
  at?: Date;
}

export interface AuditLogQuery {
  actor?: string;
  action?: string;
  /** Matches the target id (or `type:id`). */
  target?: string;
  targetType?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
}

/** Append-only audit trail of the plugin. */
export interface AuditLogStore {
  append(entry: AuditLogInput): Promise<void>;
  list(
    query: AuditLogQuery,
  ): Promise<{ items: AuditLogEntry[]; total: number }>;
}

/** A stored row of the chain, as the verification walks it. */
export interface AuditChainStoredRow extends AuditChainRow {
  id: number;
  seq: number | null;
  prev_hash: string | null;
  hash: string | null;
}

const T = 'vr_audit_log';

/**
 * Key of the PostgreSQL advisory lock that serialises appends (transaction-scoped,
 * so every backend instance appends after the head it read).
 */
export const AUDIT_APPEND_LOCK_KEY = 7_164_840_018;

/** Tries of the locked append before an entry is given up (logged by AuditRecorder). */
const LOCKED_ATTEMPTS = 20;

/** Rows per append transaction (9 bound values each: within SQLite's limit). */
const APPEND_BATCH = 90;

/** The rows chained after `head`: seq, prev_hash and hash filled in. */
function chainAfter(
  head: { seq: number; hash: string },
  rows: AuditChainRow[],
) {
  let seq = head.seq;
  let prevHash = head.hash;
  return rows.map(row => {
    seq += 1;
    const hash = auditEntryHash(row, seq, prevHash);
    const out = { ...row, seq, prev_hash: prevHash, hash };
    prevHash = hash;
    return out;
  });
}

function headOf(chained: { seq: number; hash: string }[]) {
  const last = chained[chained.length - 1];
  return { seq: last.seq, hash: last.hash };
}

/** A unique index refused the insert (the seq is taken: someone appended). */
function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err?.code === '23505' ||
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed|duplicate key value/.test(String(err?.message))
  );
}

interface Pending {
  row: AuditChainRow;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The audit trail as a hash chain (docs/audit-trail.md): each append reads the head
 * and inserts after it under a lock (PostgreSQL: `pg_advisory_xact_lock`; SQLite: the
 * write transaction), or, when this store wrote the head itself, inserts after it at
 * once (the unique seq refuses it if another instance appended meanwhile; then the
 * locked way). Appends arriving while one is written are written together in the next
 * INSERT, so that auditing every recording access stays cheap under load; a failing
 * entry never takes the others of its batch with it.
 */
export class KnexAuditLogStore implements AuditLogStore {
  private readonly queue: Pending[] = [];
  private flushing = false;
  /** The last entry this store committed (a guess of the head, checked by the insert). */
  private head?: { seq: number; hash: string };

  constructor(private readonly db: Knex) {}

  append(entry: AuditLogInput): Promise<void> {
    // the stored JSON, read back: what the hash covers is exactly what is kept
    const details = entry.details ? JSON.stringify(entry.details) : null;
    const row: AuditChainRow = {
      at: entry.at ?? new Date(),
      actor_ref: entry.actorRef,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      details,
    };
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush() {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, APPEND_BATCH);
        try {
          await this.appendRows(batch.map(p => p.row));
          batch.forEach(p => p.resolve());
        } catch (e) {
          if (batch.length === 1) {
            batch[0].reject(e);
            continue;
          }
          // one at a time: only the bad entry fails
          for (const p of batch) {
            try {
              await this.appendRows([p.row]);
              p.resolve();
            } catch (e1) {
              p.reject(e1);
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async appendRows(rows: AuditChainRow[]) {
    // the head this store wrote last: when nobody appended since, one INSERT (no
    // transaction, no lock) is all it takes; when somebody did, the unique seq refuses
    // it and the append goes the locked way
    const cached = this.head;
    if (cached) {
      const chained = chainAfter(cached, rows);
      try {
        await this.db(T).insert(chained);
        this.head = headOf(chained);
        return;
      } catch (e) {
        this.head = undefined;
        if (!isUniqueViolation(e)) throw e;
      }
    }
    // an instance appending at once without the lock (its own head) can still take the
    // seq read under the lock: then read again (each refusal means another append won)
    for (let attempt = 1; ; attempt++) {
      try {
        const chained = await this.db.transaction(async trx => {
          if (trx.client.config.client === 'pg')
            await trx.raw('SELECT pg_advisory_xact_lock(?)', [
              AUDIT_APPEND_LOCK_KEY,
            ]);
          const head = await trx(T).orderBy('seq', 'desc').first('seq', 'hash');
          const out = chainAfter(
            {
              seq: head?.seq ? Number(head.seq) : 0,
              hash: head?.hash ?? AUDIT_CHAIN_GENESIS,
            },
            rows,
          );
          await trx(T).insert(out);
          return out;
        });
        this.head = headOf(chained);
        return;
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= LOCKED_ATTEMPTS) throw e;
      }
    }
  }

  /** Rows after `afterId` in id order (the verification's walk). */
  async chainBatch(
    afterId: number,
    limit: number,
  ): Promise<AuditChainStoredRow[]> {
    const rows = await this.db(T)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .select(
        'id',
        'seq',
        'prev_hash',
        'hash',
        'at',
        'actor_ref',
        'action',
        'target_type',
        'target_id',
        'details',
      );
    return rows.map((r: any) => ({
      ...r,
      id: Number(r.id),
      seq: r.seq === null || r.seq === undefined ? null : Number(r.seq),
    }));
  }

  /** Whether an entry with this seq is stored (anywhere in the table). */
  async hasSeq(seq: number): Promise<boolean> {
    return !!(await this.db(T).where({ seq }).first('id'));
  }

  /** The last entry (by time, then seq) with `at` before the instant. */
  async headBefore(
    end: Date,
  ): Promise<{ seq: number; hash: string } | undefined> {
    const row = await this.db(T)
      .where('at', '<', end)
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ])
      .first('seq', 'hash');
    return row?.seq ? { seq: Number(row.seq), hash: row.hash } : undefined;
  }

  /** The instant of the first entry (the first day with a head). */
  async firstAt(): Promise<string | undefined> {
    const row = await this.db(T).orderBy('seq', 'asc').first('at');
    return row ? toIso(row.at) : undefined;
  }

  async list(query: AuditLogQuery) {
    const qb = this.db(T);
    if (query.actor) qb.where('actor_ref', query.actor.toLowerCase());
    if (query.action) qb.where('action', query.action);
    if (query.target) {
      const [type, ...rest] = query.target.split(':');
      if (rest.length && !query.target.startsWith('+')) {
        qb.where(b =>
          b
            .where({ target_type: type, target_id: rest.join(':') })
            .orWhere('target_id', query.target!),
        );
      } else {
        qb.where('target_id', query.target);
      }
    }
    if (query.targetType) qb.where('target_type', query.targetType);
    if (query.from) qb.where('at', '>=', query.from);
    if (query.to) qb.where('at', '<', query.to);
    const [{ count }] = await qb.clone().count({ count: '*' });
    const rows = await qb
      .select('*')
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit ?? 50)
      .offset(query.offset ?? 0);
    return {
      total: Number(count),
      items: rows.map(
        (r: any): AuditLogEntry => ({
          id: String(r.id),
          at: toIso(r.at),
          actorRef: r.actor_ref,
          action: r.action,
          ...(r.target_type ? { targetType: r.target_type } : {}),
          ...(r.target_id ? { targetId: r.target_id } : {}),
          ...(r.details ? { details: JSON.parse(r.details) } : {}),
          ...(r.seq ? { seq: Number(r.seq), hash: r.hash } : {}),
        }),
      ),
    };
  }
}
