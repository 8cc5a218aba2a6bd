import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { AuditRecorder } from '../service/AuditRecorder';

/** Where the portal offers the assurance report (the Recording health page). */
export const RECORDING_HEALTH_PATH = '/voice-recording/health';

/** The figures a report's announcement names. */
export interface AssuranceReportFacts {
  day: string;
  numbers: number;
  numbersNeedingAttention: number;
  alarms: number;
}

/**
 * Announces the daily recording assurance report to the admins through Backstage
 * notifications, with a link to the Recording health page where it is downloaded. Audited
 * either way; a failure is logged and returned (false), never thrown.
 */
export class AssuranceReportNotifier {
  constructor(
    private readonly notifications: NotificationService,
    private readonly adminRefs: string[],
    private readonly logger: LoggerService,
    private readonly audit: AuditRecorder,
  ) {}

  async announce(facts: AssuranceReportFacts): Promise<boolean> {
    const details = { ...facts, recipients: this.adminRefs };
    const record = (error?: Error) =>
      this.audit.record({
        actor: { ref: 'plugin:voice-recording' },
        action: 'health-report-notification',
        targetType: 'recording-health-report',
        targetId: facts.day,
        details,
        severity: 'low',
        ...(error ? { error } : {}),
      });
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef: this.adminRefs },
        payload: {
          title: `Recording assurance report of ${facts.day}`,
          description: `${facts.numbers} recorded numbers, ${facts.numbersNeedingAttention} needing attention, ${facts.alarms} alarms. Download the report (CSV or printable HTML) on the Recording health page.`,
          link: `${RECORDING_HEALTH_PATH}?reportDay=${encodeURIComponent(
            facts.day,
          )}`,
          severity: facts.numbersNeedingAttention > 0 ? 'high' : 'normal',
          topic: 'voice-recording-assurance-report',
          scope: `voice-recording-assurance-report:${facts.day}`,
        },
      });
      await record();
      return true;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.logger.error(
        `assurance report notification of ${facts.day} failed: ${error.message}`,
      );
      await record(error);
      return false;
    }
  }
}
