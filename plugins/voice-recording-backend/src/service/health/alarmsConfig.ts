import { Config } from '@backstage/config';
import { POLICY_REFUSAL_REASONS } from '@mvr/plugin-voice-recording-common';

/** voiceRecording.recordingHealth.alarms (docs/configuration.md "Recording alarms"). */
export interface RecordingAlarmsConfig {
  /** evaluate at all (default true) */
  enabled: boolean;
  /** minutes between two evaluations (default 5) */
  evaluationMinutes: number;
  /** hours after which an alarm that lasts is notified again (default 24) */
  reRaiseHours: number;
  silentNumber: {
    /** expected-recording hours without a recorded call (default 24: 3 working days of 8 hours) */
    expectedHours: number;
  };
  refusals: {
    windowHours: number;
    /** refused calls in the window before the share counts */
    minRefused: number;
    /** share of refused calls among refused + recorded, 0..1 */
    share: number;
    /** reasons that are the recording rule at work, not a problem (default POLICY_REFUSAL_REASONS) */
    ignoredReasons: string[];
  };
  failedQuality: {
    windowHours: number;
    /** the last N checked calls of the window all failed */
    consecutive: number;
    /** or the share of failed among at least `minCalls` checked calls */
    share: number;
    minCalls: number;
  };
  idleRecorder: {
    /** a recorder that took no call for this long… */
    idleMinutes: number;
    /** …while its peers took at least this many calls */
    minPeerCalls: number;
  };
}

const KEY = 'voiceRecording.recordingHealth.alarms';

function number(
  c: Config | undefined,
  key: string,
  fallback: number,
  min: number,
  max: number,
  integer = true,
): number {
  const v = c?.getOptionalNumber(key) ?? fallback;
  if (
    !Number.isFinite(v) ||
    v < min ||
    v > max ||
    (integer && !Number.isInteger(v))
  )
    throw new Error(
      `${KEY}.${key}: ${v} is not ${
        integer ? 'a whole number' : 'a number'
      } from ${min} to ${max}`,
    );
  return v;
}

export function readRecordingAlarmsConfig(root: Config): RecordingAlarmsConfig {
  const c = root.getOptionalConfig(KEY);
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    evaluationMinutes: number(c, 'evaluationMinutes', 5, 1, 1440),
    reRaiseHours: number(c, 'reRaiseHours', 24, 1, 24 * 30),
    silentNumber: {
      expectedHours: number(
        c,
        'silentNumber.expectedHours',
        24,
        1,
        24 * 90,
        false,
      ),
    },
    refusals: {
      windowHours: number(c, 'refusals.windowHours', 24, 1, 24 * 30),
      minRefused: number(c, 'refusals.minRefused', 5, 1, 100_000),
      share: number(c, 'refusals.share', 0.2, 0.01, 1, false),
      ignoredReasons: c?.getOptionalStringArray('refusals.ignoredReasons') ?? [
        ...POLICY_REFUSAL_REASONS,
      ],
    },
    failedQuality: {
      windowHours: number(c, 'failedQuality.windowHours', 24, 1, 24 * 30),
      consecutive: number(c, 'failedQuality.consecutive', 3, 1, 1000),
      share: number(c, 'failedQuality.share', 0.5, 0.01, 1, false),
      minCalls: number(c, 'failedQuality.minCalls', 4, 1, 100_000),
    },
    idleRecorder: {
      idleMinutes: number(c, 'idleRecorder.idleMinutes', 30, 1, 24 * 60),
      minPeerCalls: number(c, 'idleRecorder.minPeerCalls', 10, 1, 1_000_000),
    },
  };
}
