import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { LegalHold } from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';
import {
  notificationNameOf,
  plainLine,
  sendAuditedNotification,
} from './auditedNotification';

/** Where a hold's notification links: the Compliance tab's Legal holds section. */
export const legalHoldPath = (id: string) =>
  `/voice-recording/compliance/legal-holds?hold=${encodeURIComponent(id)}`;

/** At most this many characters of free text (a reason, a reference) in a notification. */
const TEXT_MAX_CHARS = 300;

/** Free text as one plain line (control and format characters out), shortened. */
const plainText = (s: string) => plainLine(s, TEXT_MAX_CHARS);

export type LegalHoldEvent =
  | 'placed'
  | 'release-requested'
  | 'released'
  | 'release-rejected'
  | 'release-cancelled';

/**
 * Legal-hold notifications to the admins (the suite's admin groups) through Backstage
 * notifications, for every step: placed, release requested (the others must approve),
 * released, release rejected or withdrawn. People are named by their catalog display
 * name (else the name part of their ref), as plain text. A failure is logged and audited
 * (`legal-hold-notification`), never thrown: the step is kept.
 */
export class LegalHoldNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly catalog: Pick<CatalogService, 'getEntityByRef'>,
    private readonly adminRefs: string[],
    private readonly logger: LoggerService,
    private readonly audit: AuditRecorder,
  ) {}

  private nameOf(
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<string> {
    return notificationNameOf(
      this.catalog,
      this.logger,
      'legal-hold notification',
      ref,
      credentials,
    );
  }

  /** Tells the admins of a step; `actorRef` and `credentials`: who took it. */
  async notify(
    hold: LegalHold,
    event: LegalHoldEvent,
    actorRef: string,
    credentials: BackstageCredentials,
    comment?: string,
  ): Promise<void> {
    const who = await this.nameOf(actorRef, credentials);
    const caseTitle = plainText(hold.caseTitle);
    const ref = plainText(hold.reference);
    const titles: Record<LegalHoldEvent, string> = {
      placed: `Legal hold placed on case "${caseTitle}" (${ref})`,
      'release-requested': `Release of the legal hold on "${caseTitle}" to approve (${ref})`,
      released: `Legal hold on "${caseTitle}" released (${ref})`,
      'release-rejected': `Release of the legal hold on "${caseTitle}" rejected (${ref})`,
      'release-cancelled': `Release request of the legal hold on "${caseTitle}" withdrawn (${ref})`,
    };
    const descriptions: Record<LegalHoldEvent, string> = {
      placed: `${who} placed a legal hold: ${plainText(hold.reason)}`,
      'release-requested': `${who} asks to release the hold: ${plainText(
        hold.releaseReason ?? '',
      )}. Another admin must approve it.`,
      released: `${who} approved the release${
        hold.releaseRequestedBy
          ? ` requested by ${await this.nameOf(
              hold.releaseRequestedBy,
              credentials,
            )}`
          : ''
      }: its conversations are no longer held.`,
      'release-rejected': `${who} rejected the release; the hold stands.${
        comment ? ` Comment: ${plainText(comment)}` : ''
      }`,
      'release-cancelled': `${who} withdrew their release request; the hold stands.`,
    };
    await sendAuditedNotification(
      {
        notifications: this.notifications,
        logger: this.logger,
        audit: this.audit,
      },
      {
        recipients: { type: 'entity', entityRef: this.adminRefs },
        payload: {
          title: titles[event],
          description: descriptions[event].slice(0, 500),
          link: legalHoldPath(hold.id),
          severity: event === 'release-requested' ? 'high' : 'normal',
          topic: 'voice-recording-legal-hold',
          scope: `voice-recording-legal-hold:${hold.id}:${event}:${Date.now()}`,
        },
      },
      {
        action: 'legal-hold-notification',
        targetType: 'legal-hold',
        targetId: hold.id,
        details: { event, recipients: this.adminRefs },
      },
      `legal-hold notification ${event} for ${hold.id}`,
    );
  }
}
