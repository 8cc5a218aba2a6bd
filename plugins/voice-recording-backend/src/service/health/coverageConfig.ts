import { Config } from '@backstage/config';
import { IANAZone } from 'luxon';

/** `voiceRecording.recordingHealth.*` read by coverage and the assurance report. */
export interface CoverageConfig {
  /** The time zone of the coverage's calendar days (default: voiceRecording.defaultTimeZone). */
  timeZone: string;
  /** Whether the coverage job runs on this backend (default true). */
  enabled: boolean;
  /** How often the coverage job recomputes today and yesterday (minutes, default 5). */
  frequencyMinutes: number;
  /** How many days back the first run computes (default 90). */
  backfillDays: number;
  /** The daily report notification to admins (off by default). */
  report: {
    notify: boolean;
    /** Local time (HH:mm in `timeZone`) the previous day's report is announced, default 06:00. */
    notifyAt: string;
  };
}

function wholeNumber(
  value: number,
  key: string,
  min: number,
  max: number,
  unit: string,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `voiceRecording.recordingHealth.${key}: ${value} is not a whole number of ${unit} from ${min} to ${max}`,
    );
  }
  return value;
}

/** Reads and checks `voiceRecording.recordingHealth.*` (coverage and report); errors name the key. */
export function readCoverageConfig(root: Config): CoverageConfig {
  const c = root.getOptionalConfig('voiceRecording');
  const h = c?.getOptionalConfig('recordingHealth');
  const timeZone =
    h?.getOptionalString('timeZone') ??
    c?.getOptionalString('defaultTimeZone') ??
    'Europe/Brussels';
  if (!IANAZone.isValidZone(timeZone)) {
    throw new Error(
      `voiceRecording.recordingHealth.timeZone: "${timeZone}" is not an IANA time zone (e.g. Europe/Brussels)`,
    );
  }
  const notifyAt = h?.getOptionalString('report.notifyAt') ?? '06:00';
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(notifyAt)) {
    throw new Error(
      `voiceRecording.recordingHealth.report.notifyAt: "${notifyAt}" is not a time of day HH:mm (00:00-23:59)`,
    );
  }
  return {
    enabled: h?.getOptionalBoolean('coverage.enabled') ?? true,
    timeZone,
    frequencyMinutes: wholeNumber(
      h?.getOptionalNumber('coverage.frequencyMinutes') ?? 5,
      'coverage.frequencyMinutes',
      1,
      1440,
      'minutes',
    ),
    backfillDays: wholeNumber(
      h?.getOptionalNumber('coverage.backfillDays') ?? 90,
      'coverage.backfillDays',
      1,
      3650,
      'days',
    ),
    report: {
      notify: h?.getOptionalBoolean('report.notify') ?? false,
      notifyAt,
    },
  };
}
