import { randomUUID } from 'node:crypto';
import {
  AccessRequest,
  AccessRequestState,
  accessRequestStateAt,
  CaseRight,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { toBool, toIso } from './util';

const T = 'vr_access_requests';
const RIGHTS: CaseRight[] = ['list', 'playback', 'label'];

export interface AccessRequestInput {
  caseId: string;
  requesterRef: string;
  reason: string;
  rights: CaseRight[];
  expiresAt: Date;
  /** The manager whose approval must come first, if required. */
  managerRef?: string;
}

export interface AccessRequestQuery {
  requesterRef?: string;
  /** Requests whose manager this is. */
  managerRef?: string;
  caseId?: string;
  /** The state at `now` (pending/approved past their expiration count as expired). */
  state?: AccessRequestState;
  limit?: number;
  offset?: number;
}

function requestFromRow(r: any, now: Date): AccessRequest {
  const expiresAt = toIso(r.expires_at);
  const opt = (key: keyof AccessRequest, v: unknown, iso = false) =>
    v === null || v === undefined ? {} : { [key]: iso ? toIso(v) : String(v) };
  return {
    id: r.id,
    caseId: r.case_id,
    caseTitle: r.case_title ?? '',
    requesterRef: r.requester_ref,
    reason: r.reason,
    rights: RIGHTS.filter(right => toBool(r[`right_${right}`])),
    expiresAt,
    state: accessRequestStateAt(r.state, expiresAt, now),
    createdAt: toIso(r.created_at),
    ...opt('decidedBy', r.decided_by),
    ...opt('decidedAt', r.decided_at, true),
    ...opt('decisionComment', r.decision_comment),
    ...opt('revokedBy', r.revoked_by),
    ...opt('revokedAt', r.revoked_at, true),
    ...opt('revokeComment', r.revoke_comment),
    ...opt('managerRef', r.manager_ref),
    ...opt('managerApprovedBy', r.manager_approved_by),
    ...opt('managerApprovedAt', r.manager_approved_at, true),
    ...opt('managerComment', r.manager_comment),
  } as AccessRequest;
}

/**
 * Access requests. Their state is read at `now`: a pending or approved request past its
 * expiration is `expired` even before `expireDue` records it; decisions and revocations
 * are conditional updates (a request decided or expired meanwhile is not changed).
 */
export class AccessRequestsStore {
  constructor(private readonly db: Knex) {}

  private base() {
    return this.db(`${T} as r`)
      .join('vr_cases as c', 'c.id', 'r.case_id')
      .select('r.*', 'c.title as case_title');
  }

  async create(input: AccessRequestInput, now: Date): Promise<AccessRequest> {
    const id = randomUUID();
    await this.db(T).insert({
      id,
      case_id: input.caseId,
      requester_ref: input.requesterRef.toLowerCase(),
      reason: input.reason,
      right_list: input.rights.includes('list'),
      right_playback: input.rights.includes('playback'),
      right_label: input.rights.includes('label'),
      expires_at: input.expiresAt,
      manager_ref: input.managerRef?.toLowerCase() ?? null,
      state: 'pending',
      created_at: now,
      updated_at: now,
    });
    return (await this.get(id, now))!;
  }

  async get(id: string, now: Date): Promise<AccessRequest | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.base().where('r.id', id).first();
    return row ? requestFromRow(row, now) : undefined;
  }

  async list(
    q: AccessRequestQuery,
    now: Date,
  ): Promise<{ items: AccessRequest[]; total: number }> {
    const qb = this.base();
    if (q.requesterRef)
      qb.where('r.requester_ref', q.requesterRef.toLowerCase());
    if (q.managerRef) qb.where('r.manager_ref', q.managerRef.toLowerCase());
    if (q.caseId) qb.where('r.case_id', q.caseId);
    if (q.state === 'pending' || q.state === 'approved')
      qb.where('r.state', q.state).where('r.expires_at', '>', now);
    else if (q.state === 'expired')
      qb.where(b =>
        b
          .where('r.state', 'expired')
          .orWhere(bb =>
            bb
              .whereIn('r.state', ['pending', 'approved'])
              .where('r.expires_at', '<=', now),
          ),
      );
    else if (q.state) qb.where('r.state', q.state);
    const [{ n }] = await qb.clone().clearSelect().count({ n: '*' });
    const rows = await qb
      .orderBy('r.created_at', 'desc')
      .orderBy('r.id', 'desc')
      .limit(q.limit ?? 100)
      .offset(q.offset ?? 0);
    return { items: rows.map(r => requestFromRow(r, now)), total: Number(n) };
  }

  /** Approves or rejects a pending, unexpired request; undefined when it is not. */
  async decide(
    id: string,
    decision: { state: 'approved' | 'rejected'; by: string; comment?: string },
    now: Date,
  ): Promise<AccessRequest | undefined> {
    const qb = this.db(T)
      .where({ id, state: 'pending' })
      .where('expires_at', '>', now);
    // an approval takes effect only after the manager's, when one is required
    if (decision.state === 'approved')
      qb.where(b =>
        b.whereNull('manager_ref').orWhereNotNull('manager_approved_at'),
      );
    const n = await qb.update({
      state: decision.state,
      decided_by: decision.by,
      decided_at: now,
      decision_comment: decision.comment ?? null,
      updated_at: now,
    });
    return n ? this.get(id, now) : undefined;
  }

  /** The manager's approval of a pending request that waits for it; undefined otherwise. */
  async managerApprove(
    id: string,
    by: string,
    comment: string | undefined,
    now: Date,
  ): Promise<AccessRequest | undefined> {
    const n = await this.db(T)
      .where({ id, state: 'pending', manager_ref: by.toLowerCase() })
      .whereNull('manager_approved_at')
      .where('expires_at', '>', now)
      .update({
        manager_approved_by: by,
        manager_approved_at: now,
        manager_comment: comment ?? null,
        updated_at: now,
      });
    return n ? this.get(id, now) : undefined;
  }

  /** Revokes an approved, unexpired request; undefined when it is not. */
  async revoke(
    id: string,
    by: string,
    comment: string | undefined,
    now: Date,
  ): Promise<AccessRequest | undefined> {
    const n = await this.db(T)
      .where({ id, state: 'approved' })
      .where('expires_at', '>', now)
      .update({
        state: 'revoked',
        revoked_by: by,
        revoked_at: now,
        revoke_comment: comment ?? null,
        updated_at: now,
      });
    return n ? this.get(id, now) : undefined;
  }

  /**
   * Records the expiry of pending and approved requests past their expiration (their
   * state reads `expired` already): returns those it changed, with their former state.
   */
  async expireDue(
    now: Date,
  ): Promise<Array<{ request: AccessRequest; was: 'pending' | 'approved' }>> {
    const due = await this.base()
      .whereIn('r.state', ['pending', 'approved'])
      .where('r.expires_at', '<=', now)
      .limit(500);
    const out: Array<{ request: AccessRequest; was: 'pending' | 'approved' }> =
      [];
    for (const row of due) {
      const n = await this.db(T)
        .where({ id: row.id, state: row.state })
        .update({ state: 'expired', updated_at: now });
      if (n)
        out.push({
          request: requestFromRow({ ...row, state: 'expired' }, now),
          was: row.state,
        });
    }
    return out;
  }
}
