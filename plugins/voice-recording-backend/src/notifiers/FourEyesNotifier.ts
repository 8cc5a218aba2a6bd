import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  FourEyesSession,
  fourEyesConfirmPath,
} from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';
import {
  notificationNameOf,
  sendAuditedNotification,
} from './auditedNotification';

/**
 * Four-eyes notifications through Backstage notifications: the observer (a user, or
 * every member of a group) when a session is asked, with a link to the confirmation;
 * the user when it is confirmed or rejected. People are named by their display name
 * from the catalog (as the caller whose action sends the notification sees it), else
 * by the name part of their ref. A failure is logged and audited, never thrown: the
 * session is kept.
 */
export class FourEyesNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly catalog: Pick<CatalogService, 'getEntityByRef'>,
    private readonly logger: LoggerService,
    private readonly audit: AuditRecorder,
  ) {}

  /** The person's display name from the catalog ({@link notificationNameOf}). */
  private nameOf(
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<string> {
    return notificationNameOf(
      this.catalog,
      this.logger,
      'four-eyes notification',
      ref,
      credentials,
    );
  }

  private async send(
    s: FourEyesSession,
    event: string,
    recipient: string,
    payload: { title: string; description: string; link: string },
  ) {
    await sendAuditedNotification(
      {
        notifications: this.notifications,
        logger: this.logger,
        audit: this.audit,
      },
      {
        recipients: { type: 'entity', entityRef: recipient },
        payload: {
          ...payload,
          severity: event === 'asked' ? 'high' : 'normal',
          topic: 'voice-recording-four-eyes',
          scope: `voice-recording-four-eyes:${s.id}:${event}`,
        },
      },
      {
        action: 'four-eyes-notification',
        targetType: 'four-eyes-session',
        targetId: s.id,
        details: { event, recipients: [recipient] },
      },
      `four-eyes notification ${event} for ${s.id}`,
    );
  }

  /** To the observer; `credentials`: the asking user's. */
  async asked(s: FourEyesSession, credentials: BackstageCredentials) {
    const user = await this.nameOf(s.userRef, credentials);
    return this.send(s, 'asked', s.observerRef, {
      title: `${user} asks you to confirm their access to recordings`,
      description:
        'Four-eyes access: as their observer, confirm (or reject) their session in the portal.',
      link: fourEyesConfirmPath(s.id),
    });
  }

  /** To the user; `credentials`: the deciding observer's. */
  async decided(s: FourEyesSession, credentials: BackstageCredentials) {
    const confirmed = s.state === 'confirmed';
    const by = s.decidedBy
      ? await this.nameOf(s.decidedBy, credentials)
      : 'Your observer';
    return this.send(s, s.state, s.userRef, {
      title: confirmed
        ? 'Your access to recordings was confirmed'
        : 'Your access to recordings was rejected',
      description: confirmed
        ? `${by} confirmed your session until ${s.expiresAt}.`
        : `${by} rejected your session.`,
      link: '/voice-recording/conversations',
    });
  }
}
