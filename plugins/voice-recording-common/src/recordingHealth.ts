/**
 * Recording health (proof of recording): the API contract between the backend's
 * coverage and alarms and the portal's Recording health page.
 *
 * Coverage answers, per recorded number and per day: how long was the number expected to
 * be recorded (professional mode from its schedule or manual status, MVR active), and what
 * did the recorder do (calls recorded, refused by reason, failed quality, last call).
 * Alarms are the problems worth telling a person about: one alarm per problem (not per
 * call), raised, re-raised daily while it lasts, resolved automatically, acknowledged by
 * an admin with a comment.
 *
 * Endpoints (plugin `voice-recording`, all admin-only: `voice-recording.health.read`;
 * acknowledging needs `voice-recording.health.acknowledge`):
 * - `GET /health/summary?from&to` → {@link RecordingHealthSummary}
 * - `GET /health/numbers?from&to&group&attention&q&limit&offset` → {@link NumberCoverageList}
 *   (numbers that need attention first)
 * - `GET /health/numbers/:id?from&to` → {@link NumberCoverageDetail} (per day)
 * - `GET /health/alarms?state&kind&numberId&limit&offset` → {@link RecordingAlarmList}
 * - `POST /health/alarms/:id/acknowledge` `{ comment }` → {@link RecordingAlarm}
 * - `GET /health/report?day=YYYY-MM-DD&format=csv|html` → the daily recording assurance
 *   report (CSV, or HTML a browser prints to PDF)
 *
 * `from` and `to` are calendar days `YYYY-MM-DD` (inclusive) in the installation's time
 * zone; the default period is the last 7 days including today.
 *
 * @packageDocumentation
 */

/** Which problem an alarm is about. */
export type RecordingAlarmKind =
  /** expected to be recorded, no recorded call for N expected-recording hours */
  | 'silent-number'
  /** the share of refused calls over the threshold */
  | 'refusals'
  /** calls failing the quality check repeatedly */
  | 'failed-quality'
  /** a recorder took no call for N minutes while its peers were busy */
  | 'idle-recorder';

export const RECORDING_ALARM_KINDS: readonly RecordingAlarmKind[] = [
  'silent-number',
  'refusals',
  'failed-quality',
  'idle-recorder',
];

/** open: the problem lasts; acknowledged: it lasts and an admin has taken it; resolved: gone. */
export type RecordingAlarmState = 'open' | 'acknowledged' | 'resolved';

export const RECORDING_ALARM_STATES: readonly RecordingAlarmState[] = [
  'open',
  'acknowledged',
  'resolved',
];

/** How much a number needs attention: the worst of its open alarms and its figures. */
export type RecordingAttention = 'ok' | 'warning' | 'failed';

/** One recording alarm. */
export interface RecordingAlarm {
  id: string;
  kind: RecordingAlarmKind;
  state: RecordingAlarmState;
  severity: 'warning' | 'failed';
  /** the recorded number it is about (all kinds but `idle-recorder`) */
  numberId?: string;
  /** the number in E.164, for display */
  number?: string;
  /** the number's owner (entity ref; shown by display name) */
  ownerRef?: string;
  /** the recorder instance it is about (`idle-recorder`) */
  recorderInstance?: string;
  /** one sentence with the figures, e.g. "No recorded call for 27 expected-recording hours (threshold 24)" */
  summary: string;
  /** the figures behind the summary (kind-specific) */
  figures?: Record<string, number | string>;
  /** ISO 8601 */
  raisedAt: string;
  /** last time the alarm was raised again (notified), ISO 8601 */
  lastRaisedAt: string;
  resolvedAt?: string;
  acknowledgedAt?: string;
  /** user entity ref */
  acknowledgedBy?: string;
  acknowledgeComment?: string;
}

export interface RecordingAlarmList {
  items: RecordingAlarm[];
  totalCount: number;
}

/** The coverage figures of one number (or a group, or everything) over a period. */
export interface CoverageFigures {
  /** seconds the number(s) were expected to be recorded */
  expectedSeconds: number;
  recordedCalls: number;
  /** seconds of recorded calls */
  recordedSeconds: number;
  refusedCalls: number;
  /** refused calls by reason code (as stored with refused sessions) */
  refusedByReason: Record<string, number>;
  warningQualityCalls: number;
  failedQualityCalls: number;
  /** ISO 8601; the last recorded call ever (not only in the period), when there is one */
  lastRecordedCallAt?: string;
}

/** One recorded number's coverage over a period, with its open alarms. */
export interface NumberCoverage extends CoverageFigures {
  numberId: string;
  number: string;
  ownerRef?: string;
  /** catalog groups of the owner (entity refs), for the per-group view */
  groupRefs?: string[];
  /** professional-mode recording is on for the number (MVR active) */
  active: boolean;
  attention: RecordingAttention;
  openAlarms: RecordingAlarm[];
}

export interface NumberCoverageList {
  items: NumberCoverage[];
  totalCount: number;
  from: string;
  to: string;
}

/** One day of one number. */
export interface CoverageDay extends CoverageFigures {
  /** YYYY-MM-DD */
  day: string;
}

export interface NumberCoverageDetail {
  coverage: NumberCoverage;
  days: CoverageDay[];
  /** every alarm of the number in the period, newest first */
  alarms: RecordingAlarm[];
}

export interface GroupCoverage extends CoverageFigures {
  groupRef: string;
  numbers: number;
  numbersNeedingAttention: number;
}

export interface RecordingHealthSummary {
  from: string;
  to: string;
  overall: CoverageFigures & {
    numbers: number;
    numbersNeedingAttention: number;
    openAlarms: number;
  };
  groups: GroupCoverage[];
}
