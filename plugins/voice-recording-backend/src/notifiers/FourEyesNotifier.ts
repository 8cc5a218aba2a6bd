import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  FourEyesSession,
  fourEyesConfirmPath,
} from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';

/** At most this many characters of a person's name in a notification. */
export const NAME_MAX_CHARS = 80;

/**
 * A catalog name as plain text for a notification's title or description: control and
 * invisible format characters (line breaks, bidi overrides, zero-width) out, white
 * space collapsed, at most {@link NAME_MAX_CHARS} characters. Not HTML-escaped: a
 * notification's title and description are plain text (`&` would show as `&amp;`); a
 * channel that writes them into HTML escapes them there.
 */
export function plainName(s: string): string {
  const text = s
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    // format characters (bidi overrides, zero-width space...) out; the joiners that
    // some scripts' spelling needs (ZWNJ, ZWJ) kept
    .replace(/(?![\u200c\u200d])\p{Cf}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  return chars.length > NAME_MAX_CHARS
    ? `${chars.slice(0, NAME_MAX_CHARS - 1).join('')}…`
    : text;
}

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

  /**
   * The person's display name (`spec.profile.displayName`, else `metadata.title`) from
   * the catalog; the name part of the ref when the catalog has no such entity, no name
   * or fails. Plain text ({@link plainName}).
   */
  private async nameOf(
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<string> {
    let fallback = ref;
    try {
      fallback = parseEntityRef(ref).name;
    } catch {
      // not a ref: shown as it is
    }
    try {
      const entity = await this.catalog.getEntityByRef(ref, { credentials });
      for (const name of [
        (entity?.spec as any)?.profile?.displayName,
        entity?.metadata.title,
      ]) {
        if (typeof name === 'string' && plainName(name)) return plainName(name);
      }
    } catch (e) {
      this.logger.warn(
        `four-eyes notification: the catalog did not give the name of ${plainName(
          ref,
        )}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return plainName(fallback);
  }

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
