import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { JsonObject } from '@backstage/types';
import { AuditRecorder } from '../service/AuditRecorder';

/** At most this many characters of a person's name in a notification. */
export const NAME_MAX_CHARS = 80;

/**
 * Untrusted text as one line of plain text for a notification's title or description:
 * control and invisible format characters (line breaks, bidi overrides, zero-width)
 * out, white space collapsed, at most `maxChars` characters (an ellipsis when cut).
 * Not HTML-escaped: a notification's title and description are plain text (`&` would
 * show as `&amp;`); a channel that writes them into HTML escapes them there.
 */
export function plainLine(s: string, maxChars: number): string {
  const text = s
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    // format characters (bidi overrides, zero-width space...) out; the joiners that
    // some scripts' spelling needs (ZWNJ, ZWJ) kept
    .replace(/(?![\u200c\u200d])\p{Cf}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  return chars.length > maxChars
    ? `${chars.slice(0, maxChars - 1).join('')}…`
    : text;
}

/** A catalog name as plain text ({@link plainLine}, {@link NAME_MAX_CHARS}). */
export function plainName(s: string): string {
  return plainLine(s, NAME_MAX_CHARS);
}

/**
 * The person's display name (`spec.profile.displayName`, else `metadata.title`) from
 * the catalog, as the caller with `credentials` sees it; the name part of the ref when
 * the catalog has no such entity, no name or fails (logged as a warning prefixed
 * `what`, e.g. `legal-hold notification`). Plain text ({@link plainName}).
 */
export async function notificationNameOf(
  catalog: Pick<CatalogService, 'getEntityByRef'>,
  logger: LoggerService,
  what: string,
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
    const entity = await catalog.getEntityByRef(ref, { credentials });
    for (const name of [
      (entity?.spec as any)?.profile?.displayName,
      entity?.metadata.title,
    ]) {
      if (typeof name === 'string' && plainName(name)) return plainName(name);
    }
  } catch (e) {
    logger.warn(
      `${what}: the catalog did not give the name of ${plainName(ref)}: ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }
  return plainName(fallback);
}

/**
 * Sends a notification and audits it (`action`, by `plugin:voice-recording`): severity
 * low when sent; when sending fails, logged as an error (`<failure> failed: <message>`)
 * and audited as failed, never thrown.
 */
export async function sendAuditedNotification(
  deps: {
    notifications: Pick<NotificationService, 'send'>;
    logger: LoggerService;
    audit: Pick<AuditRecorder, 'record'>;
  },
  notification: NotificationSendOptions,
  audit: {
    action: string;
    targetType: string;
    targetId: string;
    details: JsonObject;
  },
  failure: string,
): Promise<void> {
  const entry = { actor: { ref: 'plugin:voice-recording' }, ...audit };
  try {
    await deps.notifications.send(notification);
    await deps.audit.record({ ...entry, severity: 'low' });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    deps.logger.error(`${failure} failed: ${error.message}`);
    await deps.audit.record({ ...entry, error });
  }
}
