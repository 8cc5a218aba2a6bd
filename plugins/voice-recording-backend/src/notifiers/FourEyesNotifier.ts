import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  FourEyesSession,
  fourEyesConfirmPath,
} from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';

/**
 * Four-eyes notifications through Backstage notifications: the observer (a user, or
 * every member of a group) when a session is asked, with a link to the confirmation;
 * the user when it is confirmed or rejected. A failure is logged and audited, never
 * thrown: the session is kept.
 */
export class FourEyesNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly logger: LoggerService,
    private readonly audit: AuditRecorder,
  ) {}

  private async send(
    s: FourEyesSession,
    event: string,
    recipient: string,
    payload: { title: string; description: string; link: string },
  ) {
    const details = { event, recipients: [recipient] };
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef: recipient },
        payload: {
          ...payload,
          severity: event === 'asked' ? 'high' : 'normal',
          topic: 'voice-recording-four-eyes',
          scope: `voice-recording-four-eyes:${s.id}:${event}`,
        },
      });
      await this.audit.record({
        actor: { ref: 'plugin:voice-recording' },
        action: 'four-eyes-notification',
        targetType: 'four-eyes-session',
        targetId: s.id,
        details,
        severity: 'low',
      });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.logger.error(
        `four-eyes notification ${event} for ${s.id} failed: ${error.message}`,
      );
      await this.audit.record({
        actor: { ref: 'plugin:voice-recording' },
        action: 'four-eyes-notification',
        targetType: 'four-eyes-session',
        targetId: s.id,
        details,
        error,
      });
    }
  }

  asked(s: FourEyesSession) {
    return this.send(s, 'asked', s.observerRef, {
      title: `${s.userRef} asks you to confirm their access to recordings`,
      description:
        'Four-eyes access: as their observer, confirm (or reject) their session in the portal.',
      link: fourEyesConfirmPath(s.id),
    });
  }

  decided(s: FourEyesSession) {
    const confirmed = s.state === 'confirmed';
    return this.send(s, s.state, s.userRef, {
      title: confirmed
        ? 'Your access to recordings was confirmed'
        : 'Your access to recordings was rejected',
      description: confirmed
        ? `${s.decidedBy} confirmed your session until ${s.expiresAt}.`
        : `${s.decidedBy} rejected your session.`,
      link: '/voice-recording/conversations',
    });
  }
}
