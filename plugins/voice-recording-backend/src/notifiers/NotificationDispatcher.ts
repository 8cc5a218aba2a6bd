import { LoggerService } from '@backstage/backend-plugin-api';
import {
  StatusChangeNotification,
  StatusChangeNotifier,
} from '@mvr/plugin-voice-recording-node';
import { Actor, AuditRecorder } from '../service/AuditRecorder';
import { channelOf } from '../service/ServicePrincipalPermissions';

function describe(s: StatusChangeNotification['current']): string {
  if (!s.mvrActive) return 'not recorded (MVR inactive)';
  if (s.statusMode === 'auto') return 'Auto (follows the schedule)';
  return s.activeStatus === 'professional'
    ? 'Manual - Professional (recorded)'
    : 'Manual - Private (not recorded)';
}

/**
 * Who changed a status, for the user's notification: the feature code on the phone,
 * the mobile network (its token), compliance (a person in the portal: an admin, as
 * the user's own changes are not notified) or the service principal by name.
 */
export function changedByText(
  actor: Pick<Actor, 'ref'> & { credentials?: Actor['credentials'] },
  via?: string,
): string {
  if (via === 'feature-code') return 'Changed with #135# on the phone';
  const channel = actor.credentials ? channelOf(actor.credentials) : 'unknown';
  if (channel === 'portal') return 'Changed by compliance';
  if (channel === 'network') return 'Changed by the mobile network';
  return `Changed by ${actor.ref}`;
}

/** SMS-sized text, at most 160 characters. */
export function statusChangeText(
  number: string,
  current: StatusChangeNotification['current'],
  changedBy: string = 'Changed by compliance',
): string {
  const text = `Call recording of ${number} is now ${describe(
    current,
  )}. ${changedBy}.`;
  return text.length <= 160 ? text : `${text.slice(0, 157)}...`;
}

/**
 * Calls every notifier; a failing notifier is logged and audited, never thrown,
 * so the admin's change always goes through.
 */
export class NotificationDispatcher {
  constructor(
    private readonly notifiers: StatusChangeNotifier[],
    private readonly logger: LoggerService,
    private readonly audit: AuditRecorder,
  ) {}

  get count() {
    return this.notifiers.length;
  }

  async dispatch(
    actor: Actor | { ref: string },
    n: StatusChangeNotification,
  ): Promise<void> {
    await Promise.all(
      this.notifiers.map(async notifier => {
        try {
          await notifier.notify(n);
          await this.audit.record({
            actor: { ref: actor.ref },
            action: 'status-change-notification',
            targetType: 'number',
            targetId: n.number,
            details: { notifier: notifier.id, userRef: n.userRef },
            severity: 'low',
          });
        } catch (e: any) {
          const error = e instanceof Error ? e : new Error(String(e));
          this.logger.error(
            `status-change notifier ${notifier.id} failed for ${n.number}: ${error.message}`,
          );
          await this.audit.record({
            actor: { ref: actor.ref },
            action: 'status-change-notification',
            targetType: 'number',
            targetId: n.number,
            details: { notifier: notifier.id, userRef: n.userRef },
            severity: 'medium',
            error,
          });
        }
      }),
    );
  }
}
