import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  AccessRequest,
  accessRequestPath,
} from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';
import { sendAuditedNotification } from './auditedNotification';

const RIGHT_TEXT = {
  list: 'list',
  playback: 'play back',
  label: 'add/remove the label',
};
const rightsText = (r: AccessRequest) =>
  r.rights.map(x => RIGHT_TEXT[x]).join(', ');

/**
 * Access-request notifications through Backstage notifications: the approvers (the
 * admin groups) on a new request, with a link to its decision page; the requester on a
 * decision or a revocation. A failure is logged and audited, never thrown: the request
 * or decision is kept.
 */
export class AccessRequestNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly approverRefs: string[],
    private readonly logger: LoggerService,
    private readonly audit: AuditRecorder,
  ) {}

  private async send(
    r: AccessRequest,
    event: string,
    recipients: string[],
    payload: {
      title: string;
      description: string;
      severity?: 'normal' | 'high';
    },
  ) {
    await sendAuditedNotification(
      {
        notifications: this.notifications,
        logger: this.logger,
        audit: this.audit,
      },
      {
        recipients: { type: 'entity', entityRef: recipients },
        payload: {
          title: payload.title,
          description: payload.description,
          link: accessRequestPath(r.id),
          severity: payload.severity ?? 'normal',
          topic: 'voice-recording-access-request',
          scope: `voice-recording-access-request:${r.id}:${event}`,
        },
      },
      {
        action: 'access-request-notification',
        targetType: 'access-request',
        targetId: r.id,
        details: { event, recipients },
      },
      `access-request notification ${event} for ${r.id}`,
    );
  }

  async requested(r: AccessRequest) {
    if (r.managerRef) {
      // the manager first; the admins are told now too (they decide after the manager)
      await this.send(r, 'manager-requested', [r.managerRef], {
        title: `Access request of ${r.requesterRef} to approve as their manager`,
        description: `${r.requesterRef} asks to ${rightsText(
          r,
        )} the conversations of case "${r.caseTitle}" until ${r.expiresAt}: ${
          r.reason
        }`.slice(0, 500),
        severity: 'high',
      });
    }
    return this.send(r, 'requested', this.approverRefs, {
      title: `Access request to decide: ${r.caseTitle}`,
      description: `${r.requesterRef} asks to ${rightsText(
        r,
      )} the conversations of case "${r.caseTitle}" until ${r.expiresAt}: ${
        r.reason
      }`.slice(0, 500),
      severity: 'high',
    });
  }

  managerApproved(r: AccessRequest) {
    return this.send(r, 'manager-approved', this.approverRefs, {
      title: `Access request approved by the manager: ${r.caseTitle}`,
      description:
        `${r.managerApprovedBy} approved ${r.requesterRef}'s request as their manager; it waits for an admin's decision.`.slice(
          0,
          500,
        ),
      severity: 'high',
    });
  }

  decided(r: AccessRequest) {
    const approved = r.state === 'approved';
    return this.send(r, r.state, [r.requesterRef], {
      title: `Your access request to "${r.caseTitle}" was ${
        approved ? 'approved' : 'rejected'
      }`,
      description: `${
        approved
          ? `You may ${rightsText(r)} its conversations until ${r.expiresAt}.`
          : 'No access was given.'
      }${r.decisionComment ? ` Comment: ${r.decisionComment}` : ''}`.slice(
        0,
        500,
      ),
    });
  }

  expired(r: AccessRequest, was: 'pending' | 'approved') {
    return this.send(r, 'expired', [r.requesterRef], {
      title:
        was === 'pending'
          ? `Your access request to "${r.caseTitle}" expired without a decision`
          : `Your access to "${r.caseTitle}" ended`,
      description: `It expired at ${r.expiresAt}.`,
    });
  }

  revoked(r: AccessRequest) {
    return this.send(r, 'revoked', [r.requesterRef], {
      title: `Your access to "${r.caseTitle}" was revoked`,
      description: `Access ended at ${r.revokedAt}.${
        r.revokeComment ? ` Comment: ${r.revokeComment}` : ''
      }`.slice(0, 500),
    });
  }
}
