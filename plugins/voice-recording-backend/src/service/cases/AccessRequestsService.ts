import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  AccessRequest,
  awaitsManager,
  CaseRight,
} from '@mvr/plugin-voice-recording-common';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AccessRequestQuery,
  AccessRequestsStore,
} from '../../database/AccessRequestsStore';
import { CasesStore } from '../../database/CasesStore';
import { AccessRequestNotifier } from '../../notifiers/AccessRequestNotifier';
import { Actor, AuditRecorder } from '../AuditRecorder';
import { MANAGER_ANNOTATION, ManagerResolver } from './ManagerResolver';

/** voiceRecording.accessRequests.maxExpiryDays when not configured. */
export const DEFAULT_MAX_EXPIRY_DAYS = 90;

/** Who records the expiry of requests nobody decided in time. */
export const EXPIRY_ACTOR = 'plugin:voice-recording';

const auditOf = (r: AccessRequest) => ({
  caseId: r.caseId,
  caseTitle: r.caseTitle,
  requesterRef: r.requesterRef,
  rights: r.rights,
  expiresAt: r.expiresAt,
});

/**
 * The access-request workflow: request, approve/reject (with a comment, required to
 * reject), revoke, expire. Every step is audited; the requester and the approvers are
 * notified. The rights a request grants are read by the SQL visibility filter at each
 * query (state approved, expiration after now), so a revocation or an expiry ends the
 * access at once, whether or not `expireDue` has recorded it yet.
 */
export class AccessRequestsService {
  constructor(
    private readonly options: {
      store: AccessRequestsStore;
      cases: CasesStore;
      audit: AuditRecorder;
      notifier: AccessRequestNotifier;
      logger: LoggerService;
      now?: () => Date;
      /** When set, the requester's manager approves before an admin (config). */
      managers?: ManagerResolver;
      /**
       * The longest a request may run, in days from its creation
       * (voiceRecording.accessRequests.maxExpiryDays); default
       * {@link DEFAULT_MAX_EXPIRY_DAYS}.
       */
      maxExpiryDays?: number;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  /** The longest a request may run, in days from its creation. */
  get maxExpiryDays(): number {
    return this.options.maxExpiryDays ?? DEFAULT_MAX_EXPIRY_DAYS;
  }

  async create(
    actor: Actor,
    input: {
      caseId: string;
      reason: string;
      rights: CaseRight[];
      expiresAt: string;
    },
  ): Promise<AccessRequest> {
    const now = this.now();
    const c = await this.options.cases.getCase(input.caseId);
    if (!c) throw new InputError(`caseId: case ${input.caseId} not found`);
    if (c.status !== 'open')
      throw new InputError(
        `caseId: case "${c.title}" is closed: access cannot be requested`,
      );
    const expiresAt = new Date(input.expiresAt);
    if (expiresAt.getTime() <= now.getTime())
      throw new InputError('expiresAt: must be in the future');
    const latest = new Date(now.getTime() + this.maxExpiryDays * 86_400_000);
    if (expiresAt.getTime() > latest.getTime())
      throw new InputError(
        `expiresAt: must be at most ${
          this.maxExpiryDays
        } days ahead (voiceRecording.accessRequests.maxExpiryDays), not after ${latest.toISOString()}`,
      );
    let managerRef: string | undefined;
    if (this.options.managers) {
      managerRef = await this.options.managers.managerOf(
        actor.ref,
        actor.credentials,
      );
      if (!managerRef)
        throw new InputError(
          `requester: no manager of ${actor.ref} is in the catalog (annotation ${MANAGER_ANNOTATION} on the user or their team group, or the team group's owner), and this portal requires the manager's approval`,
        );
    }
    const r = await this.options.store.create(
      {
        caseId: c.id,
        requesterRef: actor.ref,
        reason: input.reason,
        rights: input.rights,
        expiresAt,
        managerRef,
      },
      now,
    );
    await this.options.audit.record({
      actor,
      action: 'access-request-create',
      targetType: 'access-request',
      targetId: r.id,
      details: {
        ...auditOf(r),
        reason: r.reason,
        ...(managerRef ? { managerRef } : {}),
      },
    });
    await this.options.notifier.requested(r);
    return r;
  }

  /** The requester's manager approves (then an admin decides) or rejects. */
  async managerDecide(
    actor: Actor,
    id: string,
    approve: boolean,
    comment?: string,
  ): Promise<AccessRequest> {
    const current = await this.get(id);
    if (!current.managerRef || current.managerRef !== actor.ref.toLowerCase())
      throw new NotAllowedError(
        `${actor.ref} is not the manager who approves access request ${id}`,
      );
    if (!awaitsManager(current))
      throw new ConflictError(
        `access request ${id} is ${current.state}${
          current.managerApprovedAt ? ', approved by its manager already' : ''
        }: it does not wait for its manager`,
      );
    const now = this.now();
    const r = approve
      ? await this.options.store.managerApprove(id, actor.ref, comment, now)
      : await this.options.store.decide(
          id,
          { state: 'rejected', by: actor.ref, comment },
          now,
        );
    if (!r)
      throw new ConflictError(
        `access request ${id} was decided or expired meanwhile`,
      );
    await this.options.audit.record({
      actor,
      action: approve
        ? 'access-request-manager-approve'
        : 'access-request-reject',
      targetType: 'access-request',
      targetId: r.id,
      details: {
        ...auditOf(r),
        as: 'manager',
        ...(comment ? { comment } : {}),
      },
      severity: 'high',
    });
    if (approve) await this.options.notifier.managerApproved(r);
    else await this.options.notifier.decided(r);
    return r;
  }

  async get(id: string): Promise<AccessRequest> {
    await this.expireDue();
    const r = await this.options.store.get(id, this.now());
    if (!r) throw new NotFoundError(`access request ${id} not found`);
    return r;
  }

  async list(q: AccessRequestQuery) {
    await this.expireDue();
    return this.options.store.list(q, this.now());
  }

  private async pending(actor: Actor, id: string): Promise<AccessRequest> {
    const r = await this.get(id);
    if (r.requesterRef === actor.ref.toLowerCase())
      throw new NotAllowedError(
        'an access request cannot be decided by its requester',
      );
    if (r.state !== 'pending')
      throw new ConflictError(
        `access request ${id} is ${r.state}: only a pending request can be decided`,
      );
    return r;
  }

  async decide(
    actor: Actor,
    id: string,
    state: 'approved' | 'rejected',
    comment?: string,
  ): Promise<AccessRequest> {
    const current = await this.pending(actor, id);
    if (state === 'approved' && awaitsManager(current))
      throw new ConflictError(
        `access request ${id} waits for the approval of its requester's manager (${current.managerRef}) first`,
      );
    const r = await this.options.store.decide(
      id,
      { state, by: actor.ref, comment },
      this.now(),
    );
    if (!r)
      throw new ConflictError(
        `access request ${id} was decided or expired meanwhile`,
      );
    await this.options.audit.record({
      actor,
      action:
        state === 'approved'
          ? 'access-request-approve'
          : 'access-request-reject',
      targetType: 'access-request',
      targetId: r.id,
      details: { ...auditOf(r), ...(comment ? { comment } : {}) },
      severity: 'high',
    });
    await this.options.notifier.decided(r);
    return r;
  }

  async revoke(
    actor: Actor,
    id: string,
    comment?: string,
  ): Promise<AccessRequest> {
    const current = await this.get(id);
    if (current.state !== 'approved')
      throw new ConflictError(
        `access request ${id} is ${current.state}: only an approved request can be revoked`,
      );
    const r = await this.options.store.revoke(
      id,
      actor.ref,
      comment,
      this.now(),
    );
    if (!r)
      throw new ConflictError(
        `access request ${id} was revoked or expired meanwhile`,
      );
    await this.options.audit.record({
      actor,
      action: 'access-request-revoke',
      targetType: 'access-request',
      targetId: r.id,
      details: { ...auditOf(r), ...(comment ? { comment } : {}) },
      severity: 'high',
    });
    await this.options.notifier.revoked(r);
    return r;
  }

  /**
   * Records (and audits) the expiry of pending and approved requests past their
   * expiration; run before every read of requests and by the scheduler. Never throws.
   */
  async expireDue(): Promise<number> {
    try {
      const expired = await this.options.store.expireDue(this.now());
      for (const { request, was } of expired) {
        await this.options.audit.record({
          actor: { ref: EXPIRY_ACTOR },
          action: 'access-request-expire',
          targetType: 'access-request',
          targetId: request.id,
          details: { ...auditOf(request), was },
        });
        await this.options.notifier.expired(request, was);
      }
      return expired.length;
    } catch (e) {
      this.options.logger.error(
        `access requests: recording expiries failed: ${e}`,
      );
      return 0;
    }
  }
}
