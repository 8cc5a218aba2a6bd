import { DateTime } from 'luxon';
import { CoverageStore } from '../../database/CoverageStore';
import { AssuranceReportNotifier } from '../../notifiers/AssuranceReportNotifier';
import { lastCompleteDay } from './assuranceReport';
import { RecordingHealthService } from './RecordingHealthService';

export interface AssuranceReportTaskOptions {
  health: RecordingHealthService;
  coverage: CoverageStore;
  notifier: AssuranceReportNotifier;
  /** Local time HH:mm (in the health time zone) from which yesterday's report is announced. */
  notifyAt: string;
}

/**
 * "Have it sent": once a day, from `notifyAt` local time, the admins are told that
 * yesterday's assurance report is ready (one notification per day whichever instance
 * runs it; a failed notification is tried again on the next run).
 */
export class AssuranceReportTask {
  constructor(private readonly options: AssuranceReportTaskOptions) {}

  /** Announces yesterday's report when it is time and not done yet; returns the day announced. */
  async runDue(now: Date): Promise<string | undefined> {
    const { health, coverage, notifier, notifyAt } = this.options;
    const local = DateTime.fromJSDate(now, { zone: health.timeZone });
    if (local.toFormat('HH:mm') < notifyAt) return undefined;
    const day = lastCompleteDay(now, health.timeZone);
    if (!(await coverage.claimReportNotification(day, now))) return undefined;
    const report = await health.report(day);
    const sent = await notifier.announce({
      day,
      numbers: report.totals.numbers,
      numbersNeedingAttention: report.totals.numbersNeedingAttention,
      alarms: report.totals.alarms,
    });
    if (!sent) {
      await coverage.releaseReportNotification(day);
      return undefined;
    }
    return day;
  }
}
