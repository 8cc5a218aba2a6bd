import { randomUUID } from 'node:crypto';
import {
  INTEGRITY_ALARM_OUTCOMES,
  IntegrityCheck,
  IntegrityOutcome,
  IntegritySweep,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { toIso } from './util';

const CHECKS = 'vr_integrity_checks';
const SWEEPS = 'vr_integrity_sweeps';
const SIGNATURES = 'vr_recording_signatures';
const C = 'vr_conversations';

/** A conversation whose archive the sweep verifies. */
export interface ArchiveToVerify {
  id: string;
  lastCheckedAt?: string;
}

function checkFromRow(r: any): IntegrityCheck {
  return {
    conversationId: r.conversation_id,
    checkedAt: toIso(r.checked_at),
    outcome: r.outcome,
    ...(r.message ? { message: r.message } : {}),
    ...(r.sweep_id ? { sweepId: r.sweep_id } : {}),
    ...(r.number ? { number: r.number } : {}),
    ...(r.user_ref ? { userRef: r.user_ref } : {}),
    ...(r.started_at ? { startedAt: toIso(r.started_at) } : {}),
  };
}

function sweepFromRow(r: any): IntegritySweep {
  return {
    id: r.id,
    startedAt: toIso(r.started_at),
    ...(r.finished_at ? { finishedAt: toIso(r.finished_at) } : {}),
    state: r.state,
    checked: Number(r.checked),
    ok: Number(r.ok),
    mismatches: Number(r.mismatches),
    missing: Number(r.missing),
    signed: Number(r.signed),
    bytes: Number(r.bytes),
    ...(r.error ? { error: r.error } : {}),
  };
}

/** The archive's verifications (last one per conversation) and the sweep's runs. */
export class IntegrityStore {
  private disposalColumn?: Promise<boolean>;

  constructor(private readonly db: Knex) {}

  /** Conversations being disposed of are not verified (their files go away). */
  private hasDisposalState(): Promise<boolean> {
    this.disposalColumn ??= this.db.schema.hasColumn(C, 'disposal_state');
    return this.disposalColumn;
  }

  private archived(q: Knex.QueryBuilder, disposal: boolean) {
    q.whereNotNull('c.storage_key')
      .whereNotNull('c.sha256')
      .whereNot('c.state', 'recording');
    if (disposal) q.whereNull('c.disposal_state');
    return q;
  }

  /** Archived conversations in all. */
  async countArchived(): Promise<number> {
    const disposal = await this.hasDisposalState();
    const [row] = await this.archived(
      this.db(`${C} as c`).count({ n: '*' }),
      disposal,
    );
    return Number((row as any).n);
  }

  /** Figures of the Integrity section: archived, signed, ever verified. */
  async figures(): Promise<{
    archived: number;
    signed: number;
    verified: number;
  }> {
    const disposal = await this.hasDisposalState();
    const count = async (q: Knex.QueryBuilder) =>
      Number(((await q) as any[])[0].n);
    const [archived, signed, verified] = await Promise.all([
      count(this.archived(this.db(`${C} as c`).count({ n: '*' }), disposal)),
      count(
        this.archived(
          this.db(`${C} as c`).count({ n: '*' }),
          disposal,
        ).whereExists(
          this.db(SIGNATURES)
            .select(this.db.raw('1'))
            .whereRaw(`${SIGNATURES}.conversation_id = c.id`)
            .whereRaw(`${SIGNATURES}.sha256 = c.sha256`),
        ),
      ),
      count(
        this.archived(
          this.db(`${C} as c`).count({ n: '*' }),
          disposal,
        ).whereExists(
          this.db(CHECKS)
            .select(this.db.raw('1'))
            .whereRaw(`${CHECKS}.conversation_id = c.id`),
        ),
      ),
    ]);
    return { archived, signed, verified };
  }

  /** The `limit` archives verified longest ago (never verified first). */
  async oldestVerified(limit: number): Promise<ArchiveToVerify[]> {
    const disposal = await this.hasDisposalState();
    const rows = await this.archived(
      this.db(`${C} as c`)
        .leftJoin(`${CHECKS} as ic`, 'ic.conversation_id', 'c.id')
        .select('c.id', 'ic.checked_at'),
      disposal,
    )
      .orderByRaw(
        'CASE WHEN ic.checked_at IS NULL THEN 0 ELSE 1 END, ic.checked_at, c.started_at, c.id',
      )
      .limit(limit);
    return rows.map((r: any) => ({
      id: r.id,
      ...(r.checked_at ? { lastCheckedAt: toIso(r.checked_at) } : {}),
    }));
  }

  /** Archived conversations without a signature of their current archive. */
  async unsigned(limit: number): Promise<string[]> {
    const disposal = await this.hasDisposalState();
    return this.archived(this.db(`${C} as c`).select('c.id'), disposal)
      .whereNotExists(
        this.db(SIGNATURES)
          .select(this.db.raw('1'))
          .whereRaw(`${SIGNATURES}.conversation_id = c.id`)
          .whereRaw(`${SIGNATURES}.storage_key = c.storage_key`),
      )
      .orderBy('c.started_at')
      .limit(limit)
      .pluck('c.id');
  }

  /** Records a conversation's last verification (replaces the one before). */
  async recordCheck(check: {
    conversationId: string;
    checkedAt: Date;
    outcome: IntegrityOutcome;
    message?: string;
    sha256?: string;
    sweepId?: string;
  }): Promise<void> {
    await this.db(CHECKS)
      .insert({
        conversation_id: check.conversationId,
        checked_at: check.checkedAt,
        outcome: check.outcome,
        message: check.message ?? null,
        sha256: check.sha256 ?? null,
        sweep_id: check.sweepId ?? null,
      })
      .onConflict('conversation_id')
      .merge();
  }

  async lastCheck(conversationId: string): Promise<IntegrityCheck | undefined> {
    const row = await this.db(CHECKS)
      .where({ conversation_id: conversationId })
      .first();
    return row ? checkFromRow(row) : undefined;
  }

  /** Conversations whose last verification raised the alarm, newest first. */
  async problems(limit = 100): Promise<IntegrityCheck[]> {
    const rows = await this.db(`${CHECKS} as ic`)
      .leftJoin(`${C} as c`, 'c.id', 'ic.conversation_id')
      .whereIn('ic.outcome', INTEGRITY_ALARM_OUTCOMES)
      .select('ic.*', 'c.number', 'c.user_ref', 'c.started_at')
      .orderBy('ic.checked_at', 'desc')
      .orderBy('ic.conversation_id')
      .limit(limit);
    return rows.map(checkFromRow);
  }

  async startSweep(at: Date): Promise<string> {
    const id = randomUUID();
    await this.db(SWEEPS).insert({ id, started_at: at, state: 'running' });
    return id;
  }

  async finishSweep(
    id: string,
    at: Date,
    figures: Omit<
      IntegritySweep,
      'id' | 'startedAt' | 'finishedAt' | 'state' | 'error'
    >,
    error?: string,
  ): Promise<void> {
    await this.db(SWEEPS)
      .where({ id })
      .update({
        finished_at: at,
        state: error ? 'failed' : 'done',
        checked: figures.checked,
        ok: figures.ok,
        mismatches: figures.mismatches,
        missing: figures.missing,
        signed: figures.signed,
        bytes: figures.bytes,
        error: error ?? null,
      });
  }

  async lastSweep(): Promise<IntegritySweep | undefined> {
    const row = await this.db(SWEEPS)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .first();
    return row ? sweepFromRow(row) : undefined;
  }
}
