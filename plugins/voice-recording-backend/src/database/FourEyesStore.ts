import { randomUUID } from 'node:crypto';
import {
  FourEyesFlag,
  FourEyesSession,
  FourEyesSessionState,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { toIso } from './util';

const USERS = 'vr_four_eyes_users';
const SESSIONS = 'vr_four_eyes_sessions';

function flagFromRow(r: any): FourEyesFlag {
  return {
    userRef: r.user_ref,
    observerRef: r.observer_ref,
    setBy: r.set_by,
    setAt: toIso(r.set_at),
  };
}

/** A session as it stands at `now`: confirmed past its end is expired. */
function sessionFromRow(r: any, now: Date): FourEyesSession {
  const expiresAt = r.expires_at ? toIso(r.expires_at) : undefined;
  let state = r.state as FourEyesSessionState;
  if (
    state === 'confirmed' &&
    expiresAt &&
    Date.parse(expiresAt) <= now.getTime()
  )
    state = 'expired';
  return {
    id: r.id,
    userRef: r.user_ref,
    observerRef: r.observer_ref,
    state,
    requestedAt: toIso(r.requested_at),
    ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
    ...(r.decided_at ? { decidedAt: toIso(r.decided_at) } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}

/**
 * Four-eyes flags and sessions. Entity refs are stored in lower case. A session's state
 * is read at `now` (a confirmed session past `expires_at` is expired even before
 * `markExpired` records it); decisions are conditional updates (a session decided or
 * cancelled meanwhile is not changed).
 */
export class FourEyesStore {
  constructor(private readonly db: Knex) {}

  async listFlags(): Promise<FourEyesFlag[]> {
    return (await this.db(USERS).orderBy('user_ref')).map(flagFromRow);
  }

  async getFlag(userRef: string): Promise<FourEyesFlag | undefined> {
    const r = await this.db(USERS)
      .where({ user_ref: userRef.toLowerCase() })
      .first();
    return r ? flagFromRow(r) : undefined;
  }

  /**
   * Ends the user's open sessions at `now`, within `trx`: pending ones and confirmed ones
   * still running become `cancelled` (a running one's `expires_at` becomes `now`); the
   * sessions ended, as they stood before. Confirmed sessions already past their end are
   * left to `markExpired`.
   */
  private async endOpenSessions(
    trx: Knex.Transaction,
    user: string,
    now: Date,
  ): Promise<FourEyesSession[]> {
    const rows = await trx(SESSIONS)
      .where({ user_ref: user })
      .where(b =>
        b
          .where({ state: 'pending' })
          .orWhere(c =>
            c.where({ state: 'confirmed' }).where('expires_at', '>', now),
          ),
      )
      .orderBy('requested_at');
    const ended: FourEyesSession[] = [];
    for (const r of rows) {
      // still open: a pending session confirmed meanwhile (by another instance) is
      // ended too, as a pending one
      const n = await trx(SESSIONS)
        .where({ id: r.id })
        .whereIn('state', ['pending', 'confirmed'])
        .update(
          r.state === 'pending'
            ? { state: 'cancelled', decided_at: now, expires_at: null }
            : { state: 'cancelled', expires_at: now },
        );
      if (n) ended.push(sessionFromRow(r, now));
    }
    return ended;
  }

  /**
   * Sets (or changes the observer of) a flag; the flag as it was before, if any, and the
   * sessions ended: a new flag or another observer ends every open session of the user
   * (pending or confirmed), so that only the observer now named confirms their access.
   * Setting the same observer again changes no session.
   */
  async setFlag(
    userRef: string,
    observerRef: string,
    by: string,
    now: Date,
  ): Promise<{
    before?: FourEyesFlag;
    after: FourEyesFlag;
    ended: FourEyesSession[];
  }> {
    return this.db.transaction(async trx => {
      const user = userRef.toLowerCase();
      const before = await trx(USERS).where({ user_ref: user }).first();
      const row = {
        user_ref: user,
        observer_ref: observerRef.toLowerCase(),
        set_by: by.toLowerCase(),
        set_at: now,
      };
      if (before) await trx(USERS).where({ user_ref: user }).update(row);
      else await trx(USERS).insert(row);
      const ended =
        !before || before.observer_ref !== row.observer_ref
          ? await this.endOpenSessions(trx, user, now)
          : [];
      return {
        ...(before ? { before: flagFromRow(before) } : {}),
        after: flagFromRow(row),
        ended,
      };
    });
  }

  /**
   * Clears a flag and ends the user's open sessions (pending and confirmed): the flag
   * cleared and the sessions ended; undefined if the user was not flagged.
   */
  async clearFlag(
    userRef: string,
    now: Date,
  ): Promise<{ flag: FourEyesFlag; ended: FourEyesSession[] } | undefined> {
    return this.db.transaction(async trx => {
      const user = userRef.toLowerCase();
      const before = await trx(USERS).where({ user_ref: user }).first();
      if (!before) return undefined;
      await trx(USERS).where({ user_ref: user }).delete();
      const ended = await this.endOpenSessions(trx, user, now);
      return { flag: flagFromRow(before), ended };
    });
  }

  /** A new pending session (the user's earlier pending ones are cancelled). */
  async createSession(
    userRef: string,
    observerRef: string,
    now: Date,
  ): Promise<{ session: FourEyesSession; cancelled: string[] }> {
    return this.db.transaction(async trx => {
      const user = userRef.toLowerCase();
      const pending = await trx(SESSIONS)
        .where({ user_ref: user, state: 'pending' })
        .pluck('id');
      if (pending.length)
        await trx(SESSIONS)
          .whereIn('id', pending)
          .update({ state: 'cancelled', decided_at: now });
      const row = {
        id: randomUUID(),
        user_ref: user,
        observer_ref: observerRef.toLowerCase(),
        state: 'pending',
        requested_at: now,
      };
      await trx(SESSIONS).insert(row);
      return { session: sessionFromRow(row, now), cancelled: pending };
    });
  }

  async getSession(
    id: string,
    now: Date,
  ): Promise<FourEyesSession | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const r = await this.db(SESSIONS).where({ id }).first();
    return r ? sessionFromRow(r, now) : undefined;
  }

  /** The user's latest session (by request time), as it stands at `now`. */
  async latestSession(
    userRef: string,
    now: Date,
  ): Promise<FourEyesSession | undefined> {
    const r = await this.db(SESSIONS)
      .where({ user_ref: userRef.toLowerCase() })
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .first();
    return r ? sessionFromRow(r, now) : undefined;
  }

  /** Whether the user has a confirmed session that runs at `now`. */
  async hasConfirmedSession(userRef: string, now: Date): Promise<boolean> {
    const r = await this.db(SESSIONS)
      .where({ user_ref: userRef.toLowerCase(), state: 'confirmed' })
      .where('expires_at', '>', now)
      .first('id');
    return Boolean(r);
  }

  /** Pending sessions to be confirmed by one of `observerRefs` (not asked by `exceptUser`). */
  async pendingFor(
    observerRefs: string[],
    exceptUser: string,
    now: Date,
  ): Promise<FourEyesSession[]> {
    if (observerRefs.length === 0) return [];
    const rows = await this.db(SESSIONS)
      .where({ state: 'pending' })
      .whereIn(
        'observer_ref',
        observerRefs.map(r => r.toLowerCase()),
      )
      .whereNot({ user_ref: exceptUser.toLowerCase() })
      .orderBy('requested_at');
    return rows.map(r => sessionFromRow(r, now));
  }

  /** Confirms (until `expiresAt`) or rejects a pending session; undefined if not pending. */
  async decide(
    id: string,
    decision: { state: 'confirmed' | 'rejected'; by: string; expiresAt?: Date },
    now: Date,
  ): Promise<FourEyesSession | undefined> {
    const n = await this.db(SESSIONS)
      .where({ id, state: 'pending' })
      .update({
        state: decision.state,
        decided_by: decision.by.toLowerCase(),
        decided_at: now,
        expires_at: decision.expiresAt ?? null,
      });
    return n ? this.getSession(id, now) : undefined;
  }

  /** Records confirmed sessions past their end as expired; the sessions recorded. */
  async markExpired(now: Date, userRef?: string): Promise<FourEyesSession[]> {
    const q = () => {
      const b = this.db(SESSIONS)
        .where({ state: 'confirmed' })
        .where('expires_at', '<=', now);
      return userRef ? b.where({ user_ref: userRef.toLowerCase() }) : b;
    };
    const rows = await q().select('*');
    if (rows.length === 0) return [];
    const done: FourEyesSession[] = [];
    for (const r of rows) {
      // one by one, conditionally: two instances never record the same expiry twice
      const n = await this.db(SESSIONS)
        .where({ id: r.id, state: 'confirmed' })
        .update({ state: 'expired' });
      if (n) done.push(sessionFromRow({ ...r, state: 'expired' }, now));
    }
    return done;
  }
}
