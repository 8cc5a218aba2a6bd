import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { RecordingAlarm } from '@mvr/plugin-voice-recording-common';
import { AuditRecorder } from '../service/AuditRecorder';
import { sendAuditedNotification } from './auditedNotification';

/** The portal's page of a number's recording health (H6's Recording health page). */
export const recordingHealthNumberPath = (numberId: string) =>
  `/voice-recording/health/numbers/${encodeURIComponent(numberId)}`;
export const RECORDING_HEALTH_PATH = '/voice-recording/health';

export type RecordingAlarmEvent = 'raised' | 'reraised' | 'resolved';

const KIND_TITLE: Record<RecordingAlarm['kind'], string> = {
  'silent-number': 'Silent number',
  refusals: 'Calls refused',
  'failed-quality': 'Calls failing the quality check',
  'idle-recorder': 'Idle recorder',
};

/** What the alarm is about, for a title: the number, or the recorder instance. */
export function alarmSubjectText(a: RecordingAlarm): string {
  if (a.kind === 'idle-recorder') return `recorder ${a.recorderInstance}`;
  return a.number ?? a.numberId ?? 'a deleted number';
}

/**
 * Recording alarms to the admins (voiceRecording.adminGroups) through Backstage
 * notifications: one when an alarm is raised, one each time it is re-raised (daily while
 * it lasts), one when it is resolved; each links to the number's Recording health page
 * (the Recording health page for a recorder). A failure is logged and audited, never
 * thrown: the alarm is kept.
 */
export class RecordingAlarmNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly adminRefs: string[],
    private readonly logger: LoggerService,
    private readonly audit: AuditRecorder,
  ) {}

  async notify(
    a: RecordingAlarm,
    event: RecordingAlarmEvent,
    resolution?: string,
  ): Promise<void> {
    const details = { event, kind: a.kind, recipients: this.adminRefs };
    if (this.adminRefs.length === 0) return;
    const subject = alarmSubjectText(a);
    const title =
      event === 'resolved'
        ? `Resolved: ${KIND_TITLE[a.kind].toLowerCase()} ${subject}`
        : `${KIND_TITLE[a.kind]}: ${subject}${
            event === 'reraised' ? ' (still)' : ''
          }`;
    const description = (
      event === 'resolved'
        ? `${resolution ?? 'The problem is gone.'} It was: ${a.summary}`
        : `${a.summary}. Raised ${a.raisedAt}.`
    ).slice(0, 500);
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
          link: a.numberId
            ? recordingHealthNumberPath(a.numberId)
            : RECORDING_HEALTH_PATH,
          severity:
            event !== 'resolved' && a.severity === 'failed' ? 'high' : 'normal',
          topic: 'voice-recording-recording-alarm',
          // one notification per raise: a re-raise is a new one, not an update
          scope: `voice-recording-recording-alarm:${a.id}:${event}:${
            event === 'resolved' ? a.resolvedAt : a.lastRaisedAt
          }`,
        },
      },
      {
        action: 'recording-alarm-notification',
        targetType: 'recording-alarm',
        targetId: a.id,
        details,
      },
      `recording alarm notification ${event} for ${a.id}`,
    );
  }
}
