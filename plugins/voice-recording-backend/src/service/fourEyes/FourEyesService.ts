import {
  BackstageCredentials,
  LoggerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  FourEyesFlag,
  FourEyesSession,
  FourEyesStatus,
} from '@mvr/plugin-voice-recording-common';
import { FourEyesStore } from '../../database/FourEyesStore';
import { FourEyesNotifier } from '../../notifiers/FourEyesNotifier';
import { Actor, AuditRecorder } from '../AuditRecorder';

/** Who records the end of sessions (their expiry). */
export const FOUR_EYES_SYSTEM_ACTOR = 'plugin:voice-recording';

const sessionAudit = (s: FourEyesSession) => ({
  userRef: s.userRef,
  observerRef: s.observerRef,
  ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
});

/**
 * Four-eyes access (docs/permissions.md "Four-eyes"): admins flag users with an
 * observer; a flagged user asks for a session, which an observer (the observer user, or
 * a member of the observer group, never the user themself) confirms for
 * `sessionMinutes` or rejects. `hasAccess` is the gate of every conversation permission
 * decision (FourEyesPermissions). Every step is audited.
 */
export class FourEyesService {
  constructor(
    private readonly options: {
      store: FourEyesStore;
      audit: AuditRecorder;
      userInfo: UserInfoService;
      notifier: FourEyesNotifier;
      logger: LoggerService;
      /** voiceRecording.fourEyes.sessionMinutes */
      sessionMinutes: number;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  get sessionMinutes() {
    return this.options.sessionMinutes;
  }

  // ---- flags (admins)
  listFlags(): Promise<FourEyesFlag[]> {
    return this.options.store.listFlags();
  }

  async setFlag(
    actor: Actor,
    userRef: string,
    observerRef: string,
  ): Promise<FourEyesFlag> {
    if (userRef.toLowerCase() === observerRef.toLowerCase())
      throw new InputError(
        'observerRef: the observer must be someone other than the user',
      );
    const { before, after, ended } = await this.options.store.setFlag(
      userRef,
      observerRef,
      actor.ref,
      this.now(),
    );
    await this.options.audit.record({
      actor,
      action: 'four-eyes-set',
      targetType: 'user',
      targetId: after.userRef,
      details: {
        observerRef: after.observerRef,
        ...(before ? { previousObserverRef: before.observerRef } : {}),
      },
      severity: 'medium',
    });
    await this.auditEnded(
      actor,
      ended,
      before ? 'observer-changed' : 'flag-set',
    );
    return after;
  }

  /**
   * Clears a flag; the user's open sessions (pending, and confirmed ones still running)
   * end with it, so that a flag set again later needs a new confirmation.
   */
  async clearFlag(actor: Actor, userRef: string): Promise<void> {
    const cleared = await this.options.store.clearFlag(userRef, this.now());
    if (!cleared)
      throw new NotFoundError(`${userRef} is not flagged four-eyes`);
    const { flag, ended } = cleared;
    await this.options.audit.record({
      actor,
      action: 'four-eyes-clear',
      targetType: 'user',
      targetId: flag.userRef,
      details: { observerRef: flag.observerRef },
      severity: 'medium',
    });
    await this.auditEnded(actor, ended, 'flag-cleared');
  }

  /** One `four-eyes-cancel` entry per session a flag change ended. */
  private async auditEnded(
    actor: Actor,
    ended: FourEyesSession[],
    reason: 'flag-set' | 'observer-changed' | 'flag-cleared',
  ) {
    for (const s of ended) {
      await this.options.audit.record({
        actor,
        action: 'four-eyes-cancel',
        targetType: 'four-eyes-session',
        targetId: s.id,
        details: { ...sessionAudit(s), previousState: s.state, reason },
        severity: 'medium',
      });
    }
  }

  // ---- the gate
  /**
   * Whether the user may open recordings now: not flagged, or a confirmed session runs.
   * A session found past its end is recorded (and audited) as expired.
   */
  async hasAccess(userRef: string): Promise<boolean> {
    const flag = await this.options.store.getFlag(userRef);
    if (!flag) return true;
    const now = this.now();
    if (await this.options.store.hasConfirmedSession(userRef, now)) return true;
    await this.expireDue(userRef);
    return false;
  }

  /** Records (and audits) the confirmed sessions past their end (all, or one user's). */
  async expireDue(userRef?: string): Promise<number> {
    const expired = await this.options.store.markExpired(this.now(), userRef);
    for (const s of expired) {
      await this.options.audit.record({
        actor: { ref: FOUR_EYES_SYSTEM_ACTOR },
        action: 'four-eyes-expire',
        targetType: 'four-eyes-session',
        targetId: s.id,
        details: sessionAudit(s),
        severity: 'low',
      });
    }
    return expired.length;
  }

  async status(actor: Actor): Promise<FourEyesStatus> {
    const flag = await this.options.store.getFlag(actor.ref);
    const base = { sessionMinutes: this.options.sessionMinutes };
    if (!flag) return { ...base, required: false, access: true };
    const access = await this.hasAccess(actor.ref);
    const session = await this.options.store.latestSession(
      actor.ref,
      this.now(),
    );
    return {
      ...base,
      required: true,
      observerRef: flag.observerRef,
      access,
      ...(session ? { session } : {}),
    };
  }

  // ---- the user asks
  async ask(actor: Actor): Promise<FourEyesSession> {
    const flag = await this.options.store.getFlag(actor.ref);
    if (!flag)
      throw new ConflictError(
        `${actor.ref} is not flagged four-eyes: no confirmation is needed`,
      );
    const { session, cancelled } = await this.options.store.createSession(
      actor.ref,
      flag.observerRef,
      this.now(),
    );
    await this.options.audit.record({
      actor,
      action: 'four-eyes-ask',
      targetType: 'four-eyes-session',
      targetId: session.id,
      details: {
        ...sessionAudit(session),
        ...(cancelled.length ? { replaced: cancelled } : {}),
      },
      severity: 'medium',
    });
    await this.options.notifier.asked(session, actor.credentials);
    return session;
  }

  // ---- observers
  private async claimsOf(credentials: BackstageCredentials, ref: string) {
    const info = await this.options.userInfo.getUserInfo(credentials);
    return [ref, ...info.ownershipEntityRefs].map(r => r.toLowerCase());
  }

  /** Pending sessions the caller may confirm (as the observer or a member of its group). */
  async pendingForMe(actor: Actor): Promise<FourEyesSession[]> {
    return this.options.store.pendingFor(
      await this.claimsOf(actor.credentials, actor.ref),
      actor.ref,
      this.now(),
    );
  }

  async getSession(actor: Actor, id: string): Promise<FourEyesSession> {
    const s = await this.options.store.getSession(id, this.now());
    if (!s) throw new NotFoundError(`four-eyes session ${id} not found`);
    const claims = await this.claimsOf(actor.credentials, actor.ref);
    if (s.userRef !== actor.ref && !claims.includes(s.observerRef))
      throw new NotFoundError(`four-eyes session ${id} not found`);
    return s;
  }

  async decide(
    actor: Actor,
    id: string,
    confirm: boolean,
  ): Promise<FourEyesSession> {
    const now = this.now();
    const s = await this.options.store.getSession(id, now);
    if (!s) throw new NotFoundError(`four-eyes session ${id} not found`);
    const action = confirm ? 'four-eyes-confirm' : 'four-eyes-reject';
    // refused: a `permission-denied` entry (the refused-request audit does not repeat it)
    const refuse = async (reason: string): Promise<never> => {
      await this.options.audit.record({
        actor,
        action: 'permission-denied',
        targetType: 'four-eyes-session',
        targetId: id,
        details: { permission: action, reason, ...sessionAudit(s) },
        severity: 'high',
      });
      throw new NotAllowedError(reason);
    };
    if (s.userRef === actor.ref)
      await refuse(`${actor.ref} cannot confirm their own four-eyes session`);
    const claims = await this.claimsOf(actor.credentials, actor.ref);
    if (!claims.includes(s.observerRef))
      await refuse(
        `${actor.ref} is not the observer (${s.observerRef}) of this session`,
      );
    if (s.state !== 'pending')
      throw new ConflictError(
        `four-eyes session ${id} is ${s.state}, not pending`,
      );
    const decided = await this.options.store.decide(
      id,
      confirm
        ? {
            state: 'confirmed',
            by: actor.ref,
            expiresAt: new Date(
              now.getTime() + this.options.sessionMinutes * 60_000,
            ),
          }
        : { state: 'rejected', by: actor.ref },
      now,
    );
    if (!decided)
      throw new ConflictError(`four-eyes session ${id} was decided meanwhile`);
    await this.options.audit.record({
      actor,
      action,
      targetType: 'four-eyes-session',
      targetId: id,
      details: sessionAudit(decided),
      severity: 'medium',
    });
    await this.options.notifier.decided(decided, actor.credentials);
    return decided;
  }
}
