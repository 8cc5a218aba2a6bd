import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  LegalHold,
  LegalHoldState,
  voiceRecordingLegalHoldManagePermission,
} from '@mvr/plugin-voice-recording-common';
import { JsonObject } from '@backstage/types';
import { LegalHoldsStore } from '../../database/LegalHoldsStore';
import {
  LegalHoldEvent,
  LegalHoldNotifier,
} from '../../notifiers/LegalHoldNotifier';
import { Actor, AuditRecorder } from '../AuditRecorder';

const holdAudit = (h: LegalHold): JsonObject => ({
  caseId: h.caseId,
  caseTitle: h.caseTitle,
  labelId: h.labelId,
  reference: h.reference,
  state: h.state,
});

/**
 * Legal holds (docs/legal-hold.md): placing a hold on a case, and its release by two
 * different admins (one requests with a reason, another approves; the requester may
 * withdraw their request, another admin may reject it). Every step audited
 * (`legal-hold-*`) and told to the admins.
 */
export class LegalHoldsService {
  constructor(
    private readonly options: {
      store: LegalHoldsStore;
      audit: AuditRecorder;
      notifier?: LegalHoldNotifier;
      now?: () => Date;
      /**
       * S3 legal holds mirrored from the portal's (ObjectLockSync, only with S3 Object
       * Lock): told after a hold is placed or released.
       */
      objectLock?: { nudge(): void };
    },
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  list(filter: { state?: LegalHoldState; caseId?: string }) {
    return this.options.store.list(filter);
  }

  async get(id: string): Promise<LegalHold> {
    const h = await this.options.store.get(id);
    if (!h) throw new NotFoundError(`legal hold ${id} not found`);
    return h;
  }

  private async notify(
    actor: Actor,
    hold: LegalHold,
    event: LegalHoldEvent,
    comment?: string,
  ) {
    await this.options.notifier?.notify(
      hold,
      event,
      actor.ref,
      actor.credentials,
      comment,
    );
  }

  async place(
    actor: Actor,
    input: { caseId: string; reason: string; reference: string },
  ): Promise<LegalHold> {
    const hold = await this.options.store.place({
      ...input,
      placedBy: actor.ref,
    });
    await this.options.audit.record({
      actor,
      action: 'legal-hold-place',
      targetType: 'legal-hold',
      targetId: hold.id,
      details: {
        ...holdAudit(hold),
        reason: hold.reason,
        conversationCount: hold.conversationCount ?? 0,
      },
      severity: 'high',
    });
    this.options.objectLock?.nudge();
    await this.notify(actor, hold, 'placed');
    return hold;
  }

  /** 409 naming the state when the hold is not in `from`. */
  private async expectState(id: string, from: LegalHoldState) {
    const h = await this.get(id);
    if (h.state !== from)
      throw new ConflictError(
        `legal hold ${h.reference} is ${h.state}, not ${from}`,
      );
    return h;
  }

  /** A conditional UPDATE matched nothing: 409 with the state it is in now. */
  private async changedMeanwhile(
    id: string,
    from: LegalHoldState,
  ): Promise<never> {
    await this.expectState(id, from);
    throw new ConflictError(
      `legal hold ${id} changed meanwhile: reload it and try again`,
    );
  }

  async requestRelease(
    actor: Actor,
    id: string,
    reason: string,
  ): Promise<LegalHold> {
    await this.expectState(id, 'active');
    const ok = await this.options.store.transition(id, 'active', {
      state: 'release-requested',
      release_requested_by: actor.ref.toLowerCase(),
      release_requested_at: this.now(),
      release_reason: reason,
    });
    if (!ok) await this.changedMeanwhile(id, 'active');
    const hold = await this.get(id);
    await this.options.audit.record({
      actor,
      action: 'legal-hold-release-request',
      targetType: 'legal-hold',
      targetId: id,
      details: { ...holdAudit(hold), reason },
      severity: 'high',
    });
    await this.notify(actor, hold, 'release-requested');
    return hold;
  }

  /** Refuses (403, audited) the requester acting where another admin must. */
  private async refuseRequester(actor: Actor, h: LegalHold, message: string) {
    await this.options.audit.record({
      actor,
      action: 'permission-denied',
      targetType: 'legal-hold',
      targetId: h.id,
      details: {
        permission: voiceRecordingLegalHoldManagePermission.name,
        reason: 'two admins: the requester of the release',
        reference: h.reference,
      },
      severity: 'medium',
    });
    throw new NotAllowedError(message);
  }

  /** By an admin other than the one who requested the release. */
  async approveRelease(
    actor: Actor,
    id: string,
    comment?: string,
  ): Promise<LegalHold> {
    const h = await this.expectState(id, 'release-requested');
    const me = actor.ref.toLowerCase();
    if (h.releaseRequestedBy === me)
      await this.refuseRequester(
        actor,
        h,
        `you requested the release of legal hold ${h.reference}: another admin must approve it`,
      );
    const ok = await this.options.store.transition(
      id,
      'release-requested',
      { state: 'released', released_by: me, released_at: this.now() },
      // the requester can never approve, even racing a change of the request
      qb => qb.whereNot('release_requested_by', me),
    );
    if (!ok) await this.changedMeanwhile(id, 'release-requested');
    const hold = await this.get(id);
    await this.options.audit.record({
      actor,
      action: 'legal-hold-release-approve',
      targetType: 'legal-hold',
      targetId: id,
      details: {
        ...holdAudit(hold),
        requestedBy: hold.releaseRequestedBy ?? null,
        releaseReason: hold.releaseReason ?? null,
        ...(comment ? { comment } : {}),
      },
      severity: 'high',
    });
    this.options.objectLock?.nudge();
    await this.notify(actor, hold, 'released', comment);
    return hold;
  }

  /** Back to `active`: by an admin other than the requester, with a reason. */
  async rejectRelease(
    actor: Actor,
    id: string,
    reason: string,
  ): Promise<LegalHold> {
    const h = await this.expectState(id, 'release-requested');
    const me = actor.ref.toLowerCase();
    if (h.releaseRequestedBy === me)
      await this.refuseRequester(
        actor,
        h,
        `you requested the release of legal hold ${h.reference}: withdraw your request instead (release-cancel); another admin may reject it`,
      );
    return this.backToActive(actor, h, {
      action: 'legal-hold-release-reject',
      reason,
      guard: me,
    });
  }

  /** Back to `active`: the requester withdraws their own request. */
  async cancelRelease(
    actor: Actor,
    id: string,
    comment?: string,
  ): Promise<LegalHold> {
    const h = await this.expectState(id, 'release-requested');
    const me = actor.ref.toLowerCase();
    if (h.releaseRequestedBy !== me) {
      await this.options.audit.record({
        actor,
        action: 'permission-denied',
        targetType: 'legal-hold',
        targetId: h.id,
        details: {
          permission: voiceRecordingLegalHoldManagePermission.name,
          reason: 'only the requester withdraws a release request',
          reference: h.reference,
        },
        severity: 'medium',
      });
      throw new NotAllowedError(
        `only the admin who requested the release of legal hold ${h.reference} may withdraw it; reject it instead (release-reject)`,
      );
    }
    return this.backToActive(actor, h, {
      action: 'legal-hold-release-cancel',
      reason: comment,
    });
  }

  private async backToActive(
    actor: Actor,
    h: LegalHold,
    o: {
      action: 'legal-hold-release-reject' | 'legal-hold-release-cancel';
      reason?: string;
      guard?: string;
    },
  ): Promise<LegalHold> {
    const { action } = o;
    const ok = await this.options.store.transition(
      h.id,
      'release-requested',
      {
        state: 'active',
        release_requested_by: null,
        release_requested_at: null,
        release_reason: null,
      },
      qb =>
        o.guard
          ? qb.whereNot('release_requested_by', o.guard)
          : qb.where('release_requested_by', actor.ref.toLowerCase()),
    );
    if (!ok) await this.changedMeanwhile(h.id, 'release-requested');
    const hold = await this.get(h.id);
    await this.options.audit.record({
      actor,
      action,
      targetType: 'legal-hold',
      targetId: h.id,
      details: {
        ...holdAudit(hold),
        requestedBy: h.releaseRequestedBy ?? null,
        releaseReason: h.releaseReason ?? null,
        ...(o.reason ? { reason: o.reason } : {}),
      },
      severity: 'high',
    });
    await this.notify(
      actor,
      hold,
      action === 'legal-hold-release-reject'
        ? 'release-rejected'
        : 'release-cancelled',
      o.reason,
    );
    return hold;
  }
}
