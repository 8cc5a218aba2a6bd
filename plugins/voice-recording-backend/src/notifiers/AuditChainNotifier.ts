import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { AuditChainVerification } from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';

/** The portal's Audit tab (its Verify trail button). */
export const AUDIT_PATH = '/voice-recording/audit';

/**
 * The audit chain alarm to the admins (voiceRecording.adminGroups) through Backstage
 * notifications, when the nightly heads task finds the trail broken: one notification
 * per broken link (the hourly retries update it: same scope), linking to the Audit tab.
 * A failure is logged, never thrown.
 */
export class AuditChainNotifier {
  constructor(
    private readonly notifications: Pick<NotificationService, 'send'>,
    private readonly adminRefs: string[],
    private readonly logger: LoggerService,
    private readonly audit: Pick<AuditRecorder, 'record'>,
  ) {}

  async notifyBroken(result: AuditChainVerification): Promise<void> {
    const b = result.firstBroken;
    if (result.ok || !b || this.adminRefs.length === 0) return;
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef: this.adminRefs },
        payload: {
          title: `Audit trail broken at entry ${b.seq}`,
          description:
            `${b.message} (${b.reason}). ${result.checked} entries before it verify; the daily heads are not signed until the trail is dealt with.`.slice(
              0,
              500,
            ),
          link: AUDIT_PATH,
          severity: 'critical',
          topic: 'voice-recording-audit-chain',
          scope: `voice-recording-audit-chain:${b.seq}:${b.reason}`,
        },
      });
      await this.audit.record({
        actor: { ref: 'plugin:voice-recording' },
        action: 'audit-chain-notification',
        targetType: 'audit-trail',
        targetId: String(b.seq),
        severity: 'low',
        details: {
          brokenSeq: b.seq,
          brokenReason: b.reason,
          recipients: this.adminRefs,
        },
      });
    } catch (e) {
      this.logger.error(
        `voice-recording: the audit chain alarm could not be sent: ${e}`,
      );
    }
  }
}
