import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { IntegrityCheck } from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';
import { sendAuditedNotification } from './auditedNotification';

/** The portal's Integrity section (Compliance tab). */
export const INTEGRITY_PATH = '/voice-recording/compliance/integrity';

const OUTCOME_TEXT: Record<string, string> = {
  mismatch: 'altered (hash mismatch)',
  missing: 'file missing',
  'bad-signature': 'signature does not verify',
};

/**
 * The integrity alarm to the admins (voiceRecording.adminGroups) through Backstage
 * notifications: one per sweep (or verification on request) that found archives
 * altered, missing or with a bad signature, linking to the Integrity section. A
 * failure is logged and audited, never thrown.
 */
export class IntegrityNotifier {
  constructor(
    private readonly notifications: Pick<NotificationService, 'send'>,
    private readonly adminRefs: string[],
    private readonly logger: LoggerService,
    private readonly audit: Pick<AuditRecorder, 'record'>,
  ) {}

  async notify(
    findings: IntegrityCheck[],
    source: { sweepId?: string; requestedBy?: string },
  ): Promise<void> {
    if (findings.length === 0 || this.adminRefs.length === 0) return;
    const n = findings.length;
    const title = `Integrity alarm: ${n} recording${
      n === 1 ? '' : 's'
    } failed verification`;
    const lines = findings
      .slice(0, 5)
      .map(
        f =>
          `${f.number ?? 'conversation'} ${f.startedAt ?? ''} (${
            f.conversationId
          }): ${OUTCOME_TEXT[f.outcome] ?? f.outcome}`,
      );
    const description = `${lines.join('; ')}${
      n > 5 ? `; and ${n - 5} more` : ''
    }. ${
      source.sweepId
        ? 'Found by the integrity sweep.'
        : 'Found by a verification on request.'
    }`.slice(0, 500);
    const details = {
      findings: n,
      conversationIds: findings.slice(0, 20).map(f => f.conversationId),
      recipients: this.adminRefs,
      ...(source.sweepId ? { sweepId: source.sweepId } : {}),
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
          title,
          description,
          link: INTEGRITY_PATH,
          severity: 'critical',
          topic: 'voice-recording-integrity',
          scope: `voice-recording-integrity:${
            source.sweepId ??
            findings.map(f => `${f.conversationId}@${f.checkedAt}`).join(',')
          }`.slice(0, 250),
        },
      },
      {
        action: 'integrity-notification',
        targetType: source.sweepId ? 'integrity-sweep' : 'conversation',
        targetId: source.sweepId ?? findings[0].conversationId,
        details,
      },
      'integrity notification',
    );
  }
}
