import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { LegalHold, LegalHoldState } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { whereCaseVisibleTo } from './CasesStore';
import { chunk, SQL_VARIABLE_LIMIT, toIso } from './util';

/** The states in which a hold holds (its conversations cannot be disposed of). */
export const STANDING_STATES: LegalHoldState[] = [
  'active',
  'release-requested',
];

/**
 * WHERE clause on a conversation alias `c`: "a standing hold holds it" (the predicate of
 * migration 20261206110000_legal_holds.js): it carries the label of a case with a hold
 * whose state is not `released`.
 */
export function whereHeld(
  qb: Knex.QueryBuilder,
  db: Knex,
  conversationId = 'c.id',
): void {
  qb.whereExists(
    db('vr_conversation_labels as hcl')
      .join('vr_legal_holds as hh', 'hh.label_id', 'hcl.label_id')
      .whereRaw(`hcl.conversation_id = ${conversationId}`)
      .whereNot('hh.state', 'released')
      .select(db.raw('1')),
  );
}

/** What an admin sees of a hold on a conversation. */
export interface ConversationHold {
  id: string;
  caseId: string;
  caseTitle: string;
  reference: string;
  state: LegalHoldState;
}

type HoldRow = {
  id: string;
  case_id: string;
  case_title: string;
  label_id: string;
  reason: string;
  reference: string;
  state: LegalHoldState;
  placed_by: string;
  placed_at: unknown;
  release_requested_by: string | null;
  release_requested_at: unknown;
  release_reason: string | null;
  released_by: string | null;
  released_at: unknown;
};

function holdFromRow(r: HoldRow, count?: number): LegalHold {
  return {
    id: r.id,
    caseId: r.case_id,
    caseTitle: r.case_title,
    labelId: r.label_id,
    reason: r.reason,
    reference: r.reference,
    state: r.state,
    placedBy: r.placed_by,
    placedAt: toIso(r.placed_at),
    ...(r.release_requested_by
      ? {
          releaseRequestedBy: r.release_requested_by,
          releaseRequestedAt: toIso(r.release_requested_at),
          releaseReason: r.release_reason ?? '',
        }
      : {}),
    ...(r.released_by
      ? { releasedBy: r.released_by, releasedAt: toIso(r.released_at) }
      : {}),
    ...(count !== undefined ? { conversationCount: count } : {}),
  };
}

const isPostgres = (db: Knex) =>
  /^(pg|postgres)/.test(String(db.client.config?.client ?? ''));

const isUniqueViolation = (e: unknown) =>
  /unique|duplicate/i.test(String((e as Error)?.message ?? e));

/**
 * Legal holds on cases (vr_legal_holds; rows are never deleted). A hold holds every
 * conversation carrying its case's label while its state is `active` or
 * `release-requested`. State changes are single conditional UPDATEs: two admins acting
 * at once cannot both succeed, and the requester of a release can never approve it.
 */
export class LegalHoldsStore {
  constructor(private readonly db: Knex) {}

  private query(tx: Knex = this.db) {
    return tx('vr_legal_holds as h')
      .join('vr_cases as c', 'c.id', 'h.case_id')
      .select('h.*', 'c.title as case_title');
  }

  /** The number of conversations each hold's label is on (now). */
  private async counts(labelIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const part of chunk([...new Set(labelIds)], SQL_VARIABLE_LIMIT)) {
      if (part.length === 0) continue;
      const rows = await this.db('vr_conversation_labels')
        .whereIn('label_id', part)
        .groupBy('label_id')
        .select('label_id')
        .count({ n: '*' });
      for (const r of rows as any[]) out.set(r.label_id, Number(r.n));
    }
    return out;
  }

  /**
   * Holds, newest first, with the number of conversations each holds now (0 for a
   * released hold: it holds none).
   */
  async list(
    filter: { state?: LegalHoldState; caseId?: string } = {},
  ): Promise<LegalHold[]> {
    const qb = this.query().orderBy('h.placed_at', 'desc').orderBy('h.id');
    if (filter.state) qb.where('h.state', filter.state);
    if (filter.caseId) qb.where('h.case_id', filter.caseId);
    const rows: HoldRow[] = await qb;
    const counts = await this.counts(
      rows.filter(r => r.state !== 'released').map(r => r.label_id),
    );
    return rows.map(r =>
      holdFromRow(r, r.state === 'released' ? 0 : counts.get(r.label_id) ?? 0),
    );
  }

  async get(id: string, tx: Knex = this.db): Promise<LegalHold | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row: HoldRow | undefined = await this.query(tx)
      .where('h.id', id)
      .first();
    if (!row) return undefined;
    const count =
      row.state === 'released'
        ? 0
        : (await this.counts([row.label_id])).get(row.label_id) ?? 0;
    return holdFromRow(row, count);
  }

  /** The standing hold on a label, if any. */
  async standingOnLabel(labelId: string): Promise<LegalHold | undefined> {
    const row: HoldRow | undefined = await this.query()
      .where('h.label_id', labelId)
      .whereIn('h.state', STANDING_STATES)
      .orderBy('h.placed_at')
      .first();
    return row ? holdFromRow(row) : undefined;
  }

  /**
   * Places a hold on a case (on its label). 404 naming `caseId` when the case does not
   * exist, 409 when it has a standing hold (checked, and enforced by a partial unique
   * index against concurrent requests).
   */
  async place(input: {
    caseId: string;
    reason: string;
    reference: string;
    placedBy: string;
  }): Promise<LegalHold> {
    const id = randomUUID();
    await this.db.transaction(async tx => {
      const c = /^[0-9a-f-]{36}$/i.test(input.caseId)
        ? await tx('vr_cases').where('id', input.caseId).first()
        : undefined;
      if (!c) throw new NotFoundError(`caseId: case ${input.caseId} not found`);
      const standing = await tx('vr_legal_holds')
        .where('case_id', input.caseId)
        .whereIn('state', STANDING_STATES)
        .first();
      if (standing)
        throw new ConflictError(
          `caseId: case "${c.title}" is under legal hold already (reference ${standing.reference})`,
        );
      // PostgreSQL: lock the label's rows until the hold is committed, so that a
      // disposal that locks its conversations' label rows (FOR SHARE) before it checks
      // the held predicate waits for the hold and then sees it (SQLite runs one writer
      // at a time). docs/legal-hold.md "Holds and disposal at the same moment".
      if (isPostgres(tx))
        await tx('vr_conversation_labels')
          .where('label_id', c.label_id)
          .select('conversation_id')
          .forUpdate();
      try {
        await tx('vr_legal_holds').insert({
          id,
          case_id: input.caseId,
          label_id: c.label_id,
          reason: input.reason,
          reference: input.reference,
          state: 'active',
          placed_by: input.placedBy.toLowerCase(),
          placed_at: new Date(),
        });
      } catch (e) {
        if (isUniqueViolation(e))
          throw new ConflictError(
            `caseId: case "${c.title}" is under legal hold already`,
          );
        throw e;
      }
    });
    return (await this.get(id))!;
  }

  /**
   * Moves a hold from `from` to its next state in one conditional UPDATE; `guard` adds
   * conditions (e.g. "not requested by the approver"). Returns false when no row
   * matched (another state, or the guard refused).
   */
  async transition(
    id: string,
    from: LegalHoldState,
    patch: Record<string, unknown>,
    guard?: (qb: Knex.QueryBuilder) => void,
  ): Promise<boolean> {
    const qb = this.db('vr_legal_holds').where({ id, state: from });
    if (guard) guard(qb);
    const n = await qb.update(patch);
    return n > 0;
  }

  /**
   * Whether each conversation is held, with its standing holds. With `viewerClaims` (a
   * standard user's refs), only the holds of the cases that show themselves to them
   * (a hold tells that a call is in a case, which only those who may see the case
   * learn); without: every hold (admins).
   */
  async holdsOf(
    conversationIds: string[],
    viewerClaims?: string[],
  ): Promise<Map<string, ConversationHold[]>> {
    const out = new Map<string, ConversationHold[]>();
    if (viewerClaims && viewerClaims.length === 0) return out;
    for (const part of chunk(
      [...new Set(conversationIds)],
      SQL_VARIABLE_LIMIT,
    )) {
      if (part.length === 0) continue;
      const rows = await this.db('vr_conversation_labels as cl')
        .join('vr_legal_holds as h', 'h.label_id', 'cl.label_id')
        .join('vr_cases as c', 'c.id', 'h.case_id')
        .whereIn('cl.conversation_id', part)
        .whereNot('h.state', 'released')
        .modify(qb => {
          if (viewerClaims)
            qb.where(b => whereCaseVisibleTo(b, viewerClaims, new Date()));
        })
        .select(
          'cl.conversation_id',
          'h.id',
          'h.case_id',
          'c.title as case_title',
          'h.reference',
          'h.state',
        )
        .orderBy('h.placed_at');
      for (const r of rows as any[]) {
        const list = out.get(r.conversation_id) ?? [];
        list.push({
          id: r.id,
          caseId: r.case_id,
          caseTitle: r.case_title,
          reference: r.reference,
          state: r.state,
        });
        out.set(r.conversation_id, list);
      }
    }
    return out;
  }
}
