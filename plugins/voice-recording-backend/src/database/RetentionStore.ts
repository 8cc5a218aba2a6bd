import {
  DisposalRecord,
  formatRetentionPeriod,
  parseRetentionPeriod,
  RetentionPeriod,
  retentionPeriodDays,
  RetentionPolicy,
  RetentionScope,
  UpcomingDisposal,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { toIso } from './util';

const C = 'vr_conversations';
const P = 'vr_retention_policies';
const T = 'vr_retention_targets';
const R = 'vr_disposal_records';
const RUNS = 'vr_disposal_runs';

/**
 * Held (docs/compliance.md "Legal hold", migration 20261206110000): a standing hold on
 * one of the conversation's labels. `${C}` is the outer conversation row.
 */
export const HELD_SQL = `EXISTS (SELECT 1 FROM vr_conversation_labels hcl
  JOIN vr_legal_holds hh ON hh.label_id = hcl.label_id
  WHERE hcl.conversation_id = ${C}.id AND hh.state <> 'released')`;

/** Conversation states the disposal job may (re)claim. */
const CLAIMABLE = ['disposing', 'delete-failed', 'held', 'locked'];

/** A policy as the retention SQL needs it. */
export interface RetentionRule {
  id: string;
  name: string;
  period: RetentionPeriod;
  scopeKind: RetentionScope['kind'];
}

export interface RetentionTarget {
  kind: 'user' | 'number';
  /** user ref (lower case) or E.164 */
  ref: string;
  /** the group ref or number id it came from */
  source: string;
}

export interface StoredRetentionPolicy extends RetentionPolicy {
  createdBy: string;
  updatedBy: string;
}

/** A conversation claimed by a disposal run, with what its record needs. */
export interface ClaimedConversation {
  id: string;
  number: string;
  userRef: string;
  participants: string[];
  direction?: string;
  otherParty?: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  sha256?: string;
  format?: string;
  storageKey?: string;
  supersededStorageKey?: string;
  retentionUntil: string;
  policyId?: string;
  policyName?: string;
  attempts: number;
}

export type DisposalRunState = 'running' | 'done' | 'failed' | 'interrupted';

export interface DisposalRun {
  id: string;
  trigger: 'scheduled' | 'manual';
  requestedBy: string;
  startedAt: string;
  finishedAt?: string;
  state: DisposalRunState;
  disposed: number;
  held: number;
  failed: number;
  error?: string;
}

export interface DisposalRecordQuery {
  from?: Date;
  to?: Date;
  number?: string;
  runId?: string;
  limit: number;
  offset: number;
}

/** A conversation whose files could not all be deleted (retried by the next run). */
export interface DisposalProblem {
  conversationId: string;
  number: string;
  state: string;
  error?: string;
  attempts: number;
  retentionUntil: string;
}

const opt = (v: unknown): string | undefined =>
  v === null || v === undefined ? undefined : String(v);
const optNum = (v: unknown): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);

function parseJsonArray(v: unknown): string[] {
  try {
    const a = JSON.parse(String(v ?? '[]'));
    return Array.isArray(a) ? a.map(String) : [];
  } catch {
    return [];
  }
}

function policyFromRow(row: any): StoredRetentionPolicy {
  let scope: RetentionScope;
  try {
    scope = JSON.parse(row.scope);
  } catch {
    scope = { kind: 'default' };
  }
  return {
    id: row.id,
    name: row.name,
    period: row.period,
    scope,
    source: row.source === 'config' ? 'config' : 'portal',
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  };
}

/** A policy row's rule for the SQL (its period parsed). */
export function ruleOf(p: RetentionPolicy): RetentionRule {
  const parsed = parseRetentionPeriod(p.period);
  if (!parsed.ok)
    throw new Error(`retention policy ${p.name}: ${parsed.message}`);
  return {
    id: p.id,
    name: p.name,
    period: parsed.period,
    scopeKind: p.scope.kind,
  };
}

/**
 * Retention policies, their targets, the retention columns of conversations (computed
 * in SQL, in batches) and the disposal job's rows (docs/retention.md).
 */
export class RetentionStore {
  constructor(private readonly db: Knex) {}

  private get pg(): boolean {
    const client = String(this.db.client.config.client);
    return client === 'pg' || client === 'postgres' || client === 'postgresql';
  }

  // ---------------------------------------------------------------- policies

  async listPolicies(): Promise<StoredRetentionPolicy[]> {
    const rows = await this.db(P).select('*').orderBy('name');
    return rows.map(policyFromRow);
  }

  async getPolicy(id: string): Promise<StoredRetentionPolicy | undefined> {
    const row = await this.db(P).where({ id }).first();
    return row ? policyFromRow(row) : undefined;
  }

  async getPolicyByName(
    name: string,
  ): Promise<StoredRetentionPolicy | undefined> {
    const row = await this.db(P).where({ name }).first();
    return row ? policyFromRow(row) : undefined;
  }

  /** Inserts or replaces a policy and its targets in one transaction. */
  async savePolicy(
    p: StoredRetentionPolicy,
    targets: RetentionTarget[],
  ): Promise<void> {
    await this.db.transaction(async trx => {
      const row = {
        id: p.id,
        name: p.name,
        period: p.period,
        scope_kind: p.scope.kind,
        scope: JSON.stringify(p.scope),
        source: p.source,
        created_by: p.createdBy,
        created_at: new Date(p.createdAt),
        updated_by: p.updatedBy,
        updated_at: new Date(p.updatedAt),
      };
      const exists = await trx(P).where({ id: p.id }).first('id');
      if (exists) {
        const { id: _id, created_by, created_at, ...rest } = row;
        await trx(P).where({ id: p.id }).update(rest);
      } else {
        await trx(P).insert(row);
      }
      await this.writeTargets(trx, p.id, targets);
    });
  }

  private async writeTargets(
    trx: Knex.Transaction | Knex,
    policyId: string,
    targets: RetentionTarget[],
  ) {
    await trx(T).where({ policy_id: policyId }).delete();
    const seen = new Set<string>();
    const rows = targets
      .filter(t => {
        const k = `${t.kind}\u0000${t.ref}\u0000${t.source}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      })
      .map(t => ({ policy_id: policyId, ...t }));
    for (let i = 0; i < rows.length; i += 200)
      await trx(T).insert(rows.slice(i, i + 200));
  }

  /** Replaces the targets of a policy (group membership refreshed from the catalog). */
  async replaceTargets(policyId: string, targets: RetentionTarget[]) {
    await this.db.transaction(trx => this.writeTargets(trx, policyId, targets));
  }

  async targetsOf(policyId: string): Promise<RetentionTarget[]> {
    return (
      await this.db(T).where({ policy_id: policyId }).orderBy(['kind', 'ref'])
    ).map(r => ({ kind: r.kind, ref: r.ref, source: r.source }));
  }

  async deletePolicy(id: string): Promise<boolean> {
    return (await this.db(P).where({ id }).delete()) > 0;
  }

  // ------------------------------------------------------- retention in SQL

  /** `end + period` in SQL; `end` an expression over the outer conversation row. */
  private plus(end: string, period: RetentionPeriod): Knex.Raw {
    if (this.pg)
      return this.db.raw(`(${end} + CAST(? AS interval))`, [
        formatRetentionPeriod(period),
      ]);
    // SQLite: timestamps are epoch milliseconds; calendar arithmetic by datetime modifiers
    return this.db.raw(
      `(CAST(strftime('%s', ${end} / 1000, 'unixepoch', ?, ?, ?) AS INTEGER) * 1000 + ${end} % 1000)`,
      [
        `+${period.years} years`,
        `+${period.months} months`,
        `+${period.days} days`,
      ],
    );
  }

  private scopeSql(r: RetentionRule): Knex.Raw {
    if (r.scopeKind === 'default') return this.db.raw('1 = 1');
    const column = r.scopeKind === 'groups' ? 'user_ref' : 'number';
    return this.db.raw(
      `EXISTS (SELECT 1 FROM ${T} rt WHERE rt.kind = ? AND rt.ref = ${C}.${column} AND rt.policy_id = ?)`,
      [r.scopeKind === 'groups' ? 'user' : 'number', r.id],
    );
  }

  /**
   * The columns' SQL: the longest applicable policy (ordered by average length), never
   * shorter than the regulatory minimum (policies shorter than it cannot win).
   */
  retentionSql(
    rules: RetentionRule[],
    minimum: RetentionPeriod,
  ): { until: Knex.Raw; policyId: Knex.Raw } {
    const end = `COALESCE(${C}.ended_at, ${C}.started_at)`;
    const minDays = retentionPeriodDays(minimum);
    const ordered = rules
      .filter(r => retentionPeriodDays(r.period) >= minDays)
      .sort(
        (a, b) =>
          retentionPeriodDays(b.period) - retentionPeriodDays(a.period) ||
          a.id.localeCompare(b.id),
      );
    const cut = ordered.findIndex(r => r.scopeKind === 'default');
    const applicable = cut >= 0 ? ordered.slice(0, cut + 1) : ordered;
    const min = this.plus(end, minimum);
    if (!applicable.length)
      return { until: min, policyId: this.db.raw('CAST(NULL AS varchar(36))') };
    const whens = (then: (r: RetentionRule) => Knex.Raw) => {
      const parts: string[] = [];
      const bindings: any[] = [];
      for (const r of applicable) {
        const s = this.scopeSql(r).toSQL();
        const t = then(r).toSQL();
        parts.push(`WHEN ${s.sql} THEN ${t.sql}`);
        bindings.push(...s.bindings, ...t.bindings);
      }
      return { sql: parts.join(' '), bindings };
    };
    const u = whens(r => this.plus(end, r.period));
    const m = min.toSQL();
    const greatest = this.pg ? 'GREATEST' : 'MAX';
    const until = this.db.raw(
      `${greatest}(${m.sql}, CASE ${u.sql} ELSE ${m.sql} END)`,
      [...m.bindings, ...u.bindings, ...m.bindings],
    );
    const p = whens(r => this.db.raw('?', [r.id]));
    const policyId = this.db.raw(
      `CAST(CASE ${p.sql} ELSE NULL END AS varchar(36))`,
      p.bindings,
    );
    return { until, policyId };
  }

  /** Sets the retention of one archived conversation (the recorder's finish). */
  async assignOne(
    id: string,
    rules: RetentionRule[],
    minimum: RetentionPeriod,
  ): Promise<boolean> {
    const { until, policyId } = this.retentionSql(rules, minimum);
    const n = await this.db(C)
      .where({ id })
      .whereNot('state', 'recording')
      .update({ retention_until: until, retention_policy_id: policyId });
    return n > 0;
  }

  /**
   * Re-computes the retention of every archived conversation not being disposed of
   * (`onlyMissing`: those without one yet), in id-ordered batches of `batchSize`.
   * Returns how many rows changed (only those are written).
   */
  async recompute(
    rules: RetentionRule[],
    minimum: RetentionPeriod,
    options: { onlyMissing?: boolean; batchSize?: number } = {},
  ): Promise<number> {
    const batchSize = options.batchSize ?? 5000;
    const { until, policyId } = this.retentionSql(rules, minimum);
    const open = (q: Knex.QueryBuilder) => {
      q.whereNot('state', 'recording').whereNull('disposal_state');
      if (options.onlyMissing) q.whereNull('retention_until');
      return q;
    };
    // only rows whose retention changes are written (a policy change touches few)
    const u = until.toSQL();
    const p = policyId.toSQL();
    const same = this.pg ? 'IS NOT DISTINCT FROM' : 'IS';
    const changed = {
      sql: `NOT (${C}.retention_until ${same} ${u.sql} AND ${C}.retention_policy_id ${same} ${p.sql})`,
      bindings: [...u.bindings, ...p.bindings] as any[],
    };
    let after = '';
    let written = 0;
    for (;;) {
      const ids: string[] = (
        await open(this.db(C).select('id'))
          .where('id', '>', after)
          .orderBy('id')
          .limit(batchSize)
      ).map((r: any) => r.id);
      if (!ids.length) return written;
      const last = ids[ids.length - 1];
      written += await open(this.db(C))
        .where('id', '>=', ids[0])
        .where('id', '<=', last)
        .whereRaw(changed.sql, changed.bindings)
        .update({ retention_until: until, retention_policy_id: policyId });
      after = last;
      if (ids.length < batchSize) return written;
    }
  }

  /**
   * Lengthens (never shortens) the retention of the conversations due by `now` to what
   * the current policies give: a recorder whose cached policies were stale cannot make
   * a conversation go early. Returns how many were lengthened.
   */
  async lengthenDue(
    rules: RetentionRule[],
    minimum: RetentionPeriod,
    now: Date,
  ): Promise<number> {
    const { until, policyId } = this.retentionSql(rules, minimum);
    const u = until.toSQL();
    return this.db(C)
      .where('retention_until', '<=', now)
      .whereNot('state', 'recording')
      .where(q =>
        q.whereNull('disposal_state').orWhereIn('disposal_state', CLAIMABLE),
      )
      .whereRaw(`${u.sql} > ${C}.retention_until`, u.bindings)
      .update({ retention_until: until, retention_policy_id: policyId });
  }

  /** Archived conversations per policy (null: the regulatory minimum). */
  async countsByPolicy(): Promise<Map<string | null, number>> {
    const rows = await this.db(C)
      .whereNotNull('retention_until')
      .whereNull('disposal_state')
      .groupBy('retention_policy_id')
      .select('retention_policy_id', this.db.raw('count(*) as n'));
    return new Map(
      rows.map((r: any) => [r.retention_policy_id ?? null, Number(r.n)]),
    );
  }

  // ------------------------------------------------------ upcoming disposals

  private due(q: Knex.QueryBuilder, until: Date) {
    return q
      .where(`${C}.retention_until`, '<=', until)
      .whereNot(`${C}.state`, 'recording')
      .whereNull(`${C}.compress_to`)
      .where(b =>
        b
          .whereNull(`${C}.disposal_state`)
          .orWhereIn(`${C}.disposal_state`, CLAIMABLE),
      );
  }

  /** Conversations due by `until` (held ones flagged), soonest first. */
  async upcoming(
    until: Date,
    page: { limit: number; offset: number },
  ): Promise<{ items: UpcomingDisposal[]; total: number; held: number }> {
    const base = () => this.due(this.db(C), until);
    const [rows, [{ n }], [{ h }]] = await Promise.all([
      base()
        .leftJoin(`${P} as p`, 'p.id', `${C}.retention_policy_id`)
        .select(
          `${C}.id`,
          `${C}.number`,
          `${C}.user_ref`,
          `${C}.started_at`,
          `${C}.retention_until`,
          `${C}.disposal_state`,
          `${C}.disposal_error`,
          'p.name as policy_name',
          this.db.raw(`CASE WHEN ${HELD_SQL} THEN 1 ELSE 0 END as held`),
        )
        .orderBy([
          { column: `${C}.retention_until`, order: 'asc' },
          { column: `${C}.id`, order: 'asc' },
        ])
        .limit(page.limit)
        .offset(page.offset),
      base().count({ n: '*' }),
      base().whereRaw(HELD_SQL).count({ h: '*' }),
    ]);
    return {
      items: rows.map((r: any) => ({
        conversationId: r.id,
        number: r.number,
        userRef: r.user_ref,
        startedAt: toIso(r.started_at),
        retentionUntil: toIso(r.retention_until),
        ...(r.policy_name ? { policyName: r.policy_name } : {}),
        legalHold: Number(r.held) === 1,
        ...(r.disposal_state ? { disposalState: r.disposal_state } : {}),
        ...(r.disposal_error ? { disposalError: r.disposal_error } : {}),
      })),
      total: Number(n),
      held: Number(h),
    };
  }

  /** Conversations whose disposal is stuck (a file could not be deleted, a late hold). */
  async problems(limit = 100): Promise<DisposalProblem[]> {
    const rows = await this.db(C)
      .whereIn('disposal_state', ['delete-failed', 'held', 'locked'])
      .orderBy('retention_until')
      .limit(limit)
      .select(
        'id',
        'number',
        'disposal_state',
        'disposal_error',
        'disposal_attempts',
        'retention_until',
      );
    return rows.map((r: any) => ({
      conversationId: r.id,
      number: r.number,
      state: r.disposal_state,
      ...(r.disposal_error ? { error: r.disposal_error } : {}),
      attempts: Number(r.disposal_attempts ?? 0),
      retentionUntil: toIso(r.retention_until),
    }));
  }

  // ---------------------------------------------------------- disposal runs

  /** Starts a run; runs without a heartbeat for `staleMs` become `interrupted`. */
  async startRun(
    run: { id: string; trigger: 'scheduled' | 'manual'; requestedBy: string },
    now: Date,
    staleMs: number,
  ): Promise<void> {
    await this.db(RUNS)
      .where({ state: 'running' })
      .where('heartbeat_at', '<', new Date(now.getTime() - staleMs))
      .update({
        state: 'interrupted',
        finished_at: now,
        error:
          'no heartbeat: the process ended during the run; its conversations are finished by a later run',
      });
    await this.db(RUNS).insert({
      id: run.id,
      trigger: run.trigger,
      requested_by: run.requestedBy,
      started_at: now,
      heartbeat_at: now,
      state: 'running',
    });
  }

  async heartbeat(
    runId: string,
    counts: { disposed: number; held: number; failed: number },
  ) {
    await this.db(RUNS)
      .where({ id: runId })
      .update({
        heartbeat_at: new Date(),
        disposed: counts.disposed,
        held: counts.held,
        failed: counts.failed,
      });
  }

  async finishRun(
    runId: string,
    state: DisposalRunState,
    counts: { disposed: number; held: number; failed: number },
    error?: string,
  ) {
    await this.db(RUNS)
      .where({ id: runId })
      .update({
        state,
        finished_at: new Date(),
        heartbeat_at: new Date(),
        disposed: counts.disposed,
        held: counts.held,
        failed: counts.failed,
        error: error ?? null,
      });
  }

  async listRuns(page: { limit: number; offset: number }): Promise<{
    items: DisposalRun[];
    total: number;
  }> {
    const [rows, [{ n }]] = await Promise.all([
      this.db(RUNS)
        .select('*')
        .orderBy([
          { column: 'started_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(page.limit)
        .offset(page.offset),
      this.db(RUNS).count({ n: '*' }),
    ]);
    return {
      items: rows.map((r: any) => ({
        id: r.id,
        trigger: r.trigger,
        requestedBy: r.requested_by,
        startedAt: toIso(r.started_at),
        ...(r.finished_at ? { finishedAt: toIso(r.finished_at) } : {}),
        state: r.state,
        disposed: Number(r.disposed),
        held: Number(r.held),
        failed: Number(r.failed),
        ...(r.error ? { error: r.error } : {}),
      })),
      total: Number(n),
    };
  }

  /** How many conversations due by `now` are held (skipped). */
  async countHeldDue(now: Date): Promise<number> {
    const [{ n }] = await this.due(this.db(C), now)
      .whereRaw(HELD_SQL)
      .count({ n: '*' });
    return Number(n);
  }

  /**
   * Marks up to `limit` due, unheld conversations as being disposed of by `runId`:
   * first those a dead run left marked, then the most overdue. Conversations this run
   * tried already (a failed delete) are not claimed again by it.
   */
  async claim(
    runId: string,
    now: Date,
    limit: number,
  ): Promise<ClaimedConversation[]> {
    const claimable = (q: Knex.QueryBuilder) =>
      this.due(q, now)
        .whereRaw(`NOT ${HELD_SQL}`)
        .where(b =>
          b
            .whereNull(`${C}.disposal_run_id`)
            .orWhere(bb =>
              bb
                .whereNot(`${C}.disposal_run_id`, runId)
                .whereNotIn(
                  `${C}.disposal_run_id`,
                  this.db(RUNS).select('id').where({ state: 'running' }),
                ),
            ),
        );
    // first what a dead run (or a failed delete) left, then the most overdue: each an
    // index walk in retention order that stops at `limit`
    const ids: string[] = (
      await claimable(this.db(C).select(`${C}.id`))
        .whereNotNull(`${C}.disposal_state`)
        .orderBy(`${C}.retention_until`)
        .limit(limit)
    ).map((r: any) => r.id);
    if (ids.length < limit)
      ids.push(
        ...(
          await claimable(this.db(C).select(`${C}.id`))
            .whereNull(`${C}.disposal_state`)
            .orderBy(`${C}.retention_until`)
            .limit(limit - ids.length)
        ).map((r: any) => r.id),
      );
    // only what this claim got: the run's earlier batches may still be in their transaction
    const rows: any[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      await claimable(this.db(C))
        .whereIn('id', part)
        .update({ disposal_state: 'disposing', disposal_run_id: runId });
      rows.push(
        ...(await this.db(C)
          .leftJoin(`${P} as p`, 'p.id', `${C}.retention_policy_id`)
          .whereIn(`${C}.id`, part)
          .where(`${C}.disposal_run_id`, runId)
          .where(`${C}.disposal_state`, 'disposing')
          .select(`${C}.*`, 'p.name as policy_name')),
      );
    }
    rows.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    return rows.map((r: any) => ({
      id: r.id,
      number: r.number,
      userRef: r.user_ref,
      participants: (() => {
        try {
          const ps = JSON.parse(r.participants ?? '[]');
          return Array.isArray(ps)
            ? ps.map((p: any) => String(p?.number ?? p?.aor ?? p))
            : [];
        } catch {
          return [];
        }
      })(),
      direction: opt(r.direction),
      otherParty: opt(r.other_party),
      startedAt: toIso(r.started_at),
      endedAt: r.ended_at ? toIso(r.ended_at) : undefined,
      durationMs: optNum(r.duration_ms),
      sha256: opt(r.sha256),
      format: opt(r.format),
      storageKey: opt(r.storage_key),
      supersededStorageKey: opt(r.superseded_storage_key),
      retentionUntil: toIso(r.retention_until),
      policyId: opt(r.retention_policy_id),
      policyName: opt(r.policy_name),
      attempts: Number(r.disposal_attempts ?? 0),
    }));
  }

  /** Ids among `ids` that are held now. */
  async heldAmong(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await this.db(C)
      .whereIn('id', ids)
      .whereRaw(HELD_SQL)
      .select('id');
    return new Set(rows.map((r: any) => r.id));
  }

  /** Gives back claimed conversations untouched (a hold came before their files went). */
  async release(ids: string[], runId: string) {
    if (!ids.length) return;
    await this.db(C)
      .whereIn('id', ids)
      .where({ disposal_run_id: runId })
      .update({ disposal_state: null, disposal_run_id: null });
  }

  /** A file of the conversation could not be deleted: explained on the row, retried later. */
  async markFailed(id: string, runId: string, error: string, attempts: number) {
    await this.db(C)
      .where({ id, disposal_run_id: runId })
      .update({
        disposal_state: 'delete-failed',
        disposal_error: error.slice(0, 2000),
        disposal_attempts: attempts,
      });
  }

  /**
   * A file of the conversation is under S3 Object Lock (docs/object-storage.md "Disposal of
   * a locked recording"): nothing of it was deleted; the row says why (`locked`) and, when
   * the lock has a date, its retention end moves to that date (the object store's date
   * wins: the conversation is kept until then, and the disposal is tried again after it).
   */
  async markLocked(
    id: string,
    runId: string,
    error: string,
    attempts: number,
    lockedUntil?: Date,
  ) {
    await this.db.transaction(async trx => {
      const n = await trx(C)
        .where({ id, disposal_run_id: runId })
        .update({
          disposal_state: 'locked',
          disposal_error: error.slice(0, 2000),
          disposal_attempts: attempts,
        });
      if (n && lockedUntil)
        await trx(C)
          .where({ id })
          .where('retention_until', '<', lockedUntil)
          .update({ retention_until: lockedUntil });
    });
  }

  /**
   * The last step, in one transaction: conversations held by now are kept (`held`, with
   * the files already deleted named); for the others the disposal record is written
   * (once: the conversation id is its key) and the conversation row deleted (its labels
   * go with it). Returns the ids disposed of and the ids found held.
   */
  async complete(
    runId: string,
    done: Array<{ conversation: ClaimedConversation; deletedFiles: string[] }>,
    now: Date,
  ): Promise<{ disposed: string[]; held: string[] }> {
    if (!done.length) return { disposed: [], held: [] };
    return this.db.transaction(async trx => {
      const ids = done.map(d => d.conversation.id);
      // PostgreSQL: a hold being placed locks its label's rows (FOR UPDATE) until it is
      // committed; locking our calls' label rows first makes this wait for it, and the
      // next statement sees it (docs/legal-hold.md "Holds and disposal at the same moment")
      if (this.pg)
        for (let i = 0; i < ids.length; i += 500)
          await trx('vr_conversation_labels')
            .whereIn('conversation_id', ids.slice(i, i + 500))
            .select('conversation_id')
            .forShare();
      const heldRows = await trx(C)
        .whereIn('id', ids)
        .whereRaw(HELD_SQL)
        .select('id');
      const held = new Set(heldRows.map((r: any) => r.id as string));
      for (const d of done.filter(x => held.has(x.conversation.id))) {
        await trx(C)
          .where({ id: d.conversation.id })
          .update({
            disposal_state: 'held',
            disposal_error:
              `a legal hold was placed while it was being disposed of; files already deleted: ${
                d.deletedFiles.join(', ') || 'none'
              }`.slice(0, 2000),
          });
      }
      const go = done.filter(x => !held.has(x.conversation.id));
      const records = go.map(({ conversation: c, deletedFiles }) => ({
        conversation_id: c.id,
        number: c.number,
        user_ref: c.userRef,
        participants: JSON.stringify(c.participants),
        direction: c.direction ?? null,
        other_party: c.otherParty ?? null,
        started_at: new Date(c.startedAt),
        ended_at: c.endedAt ? new Date(c.endedAt) : null,
        duration_ms: c.durationMs ?? null,
        sha256: c.sha256 ?? null,
        format: c.format ?? null,
        policy_id: c.policyId ?? null,
        policy_name: c.policyName ?? null,
        retention_until: new Date(c.retentionUntil),
        disposed_at: now,
        job_run_id: runId,
        deleted_files: JSON.stringify(deletedFiles),
      }));
      // 18 columns: SQLite's bound-variable limit allows 50 rows a statement
      const rowsPerInsert = this.pg ? 500 : 40;
      for (let i = 0; i < records.length; i += rowsPerInsert)
        await trx(R)
          .insert(records.slice(i, i + rowsPerInsert))
          .onConflict('conversation_id')
          .ignore();
      const goIds = go.map(x => x.conversation.id);
      // labels go with the conversation (explicitly: SQLite may not enforce the cascade)
      for (let i = 0; i < goIds.length; i += 500)
        await trx('vr_conversation_labels')
          .whereIn('conversation_id', goIds.slice(i, i + 500))
          .delete();
      for (let i = 0; i < goIds.length; i += 500)
        await trx(C)
          .whereIn('id', goIds.slice(i, i + 500))
          .where({ disposal_run_id: runId })
          .delete();
      return { disposed: goIds, held: [...held] };
    });
  }

  // -------------------------------------------------------- disposal records

  private recordsQuery(q: DisposalRecordQuery) {
    const qb = this.db(R);
    if (q.from) qb.where('disposed_at', '>=', q.from);
    if (q.to) qb.where('disposed_at', '<', q.to);
    if (q.number) qb.where('number', q.number);
    if (q.runId) qb.where('job_run_id', q.runId);
    return qb;
  }

  async listRecords(
    q: DisposalRecordQuery,
  ): Promise<{ items: DisposalRecord[]; total: number }> {
    const [rows, [{ n }]] = await Promise.all([
      this.recordsQuery(q)
        .select('*')
        .orderBy([
          { column: 'disposed_at', order: 'desc' },
          { column: 'conversation_id', order: 'asc' },
        ])
        .limit(q.limit)
        .offset(q.offset),
      this.recordsQuery(q).count({ n: '*' }),
    ]);
    return { items: rows.map(recordFromRow), total: Number(n) };
  }

  async getRecord(conversationId: string): Promise<DisposalRecord | undefined> {
    const row = await this.db(R)
      .where({ conversation_id: conversationId })
      .first();
    return row ? recordFromRow(row) : undefined;
  }
}

function recordFromRow(r: any): DisposalRecord & { deletedFiles: string[] } {
  return {
    conversationId: r.conversation_id,
    number: r.number,
    userRef: r.user_ref,
    participants: parseJsonArray(r.participants),
    ...(r.direction ? { direction: r.direction } : {}),
    startedAt: toIso(r.started_at),
    ...(r.ended_at ? { endedAt: toIso(r.ended_at) } : {}),
    ...(r.sha256 ? { sha256: r.sha256 } : {}),
    ...(r.policy_id ? { policyId: r.policy_id } : {}),
    ...(r.policy_name ? { policyName: r.policy_name } : {}),
    retentionUntil: toIso(r.retention_until),
    disposedAt: toIso(r.disposed_at),
    jobRunId: r.job_run_id,
    deletedFiles: parseJsonArray(r.deleted_files),
  };
}
