import { DateTime } from 'luxon';
import { isEmergencyNumber, DEFAULT_EMERGENCY_NUMBERS } from './phone';
import { slotContains } from './slots';
import {
  NumberStatus,
  RecordedNumber,
  RecordingDecision,
  Weekday,
} from './types';

export interface RecordingDecisionInput {
  number: Pick<RecordedNumber, 'number' | 'mvrActive' | 'settings' | 'slots'>;
  /** The instant of the call (Date, epoch millis, ISO string or luxon DateTime). */
  at: Date | number | string | DateTime;
  /** The other party of the call, if known. */
  otherParty?: string;
  emergencyNumbers?: string[];
}

function toDateTime(at: RecordingDecisionInput['at']): DateTime {
  if (DateTime.isDateTime(at)) return at;
  if (at instanceof Date) return DateTime.fromJSDate(at);
  if (typeof at === 'number') return DateTime.fromMillis(at);
  return DateTime.fromISO(at, { setZone: true });
}

/**
 * Whether the number's schedule puts it in professional mode at `at`.
 * Slots are wall-clock times in the number's time zone: across a DST change a
 * 08:00-18:00 slot still starts at 08:00 local time; wall times that do not
 * exist (spring forward) are never reached and repeated ones (fall back) match twice.
 */
export function isWithinSchedule(
  number: Pick<RecordedNumber, 'settings' | 'slots'>,
  at: RecordingDecisionInput['at'],
): boolean {
  const local = toDateTime(at).setZone(number.settings.timeZone);
  if (!local.isValid) {
    throw new Error(
      `cannot evaluate schedule: invalid instant or time zone "${number.settings.timeZone}"`,
    );
  }
  const weekday = local.weekday as Weekday;
  const minute = local.hour * 60 + local.minute;
  return number.slots.some(s => slotContains(s, weekday, minute));
}

/**
 * The one place that decides whether a call of a recorded number is recorded at an instant.
 * Checked in this order: MVR inactive, emergency number, Manual + Private,
 * outside the schedule (Auto only). Manual + Professional records regardless of the schedule.
 */
export function decideRecording(input: RecordingDecisionInput): RecordingDecision {
  const { number } = input;
  const no = (reason: RecordingDecision['reason'], message: string): RecordingDecision => ({
    record: false,
    reason,
    beep: false,
    message,
  });
  if (!number.mvrActive) {
    return no('mvr-inactive', `MVR is not active for ${number.number}`);
  }
  if (isEmergencyNumber(input.otherParty, input.emergencyNumbers ?? DEFAULT_EMERGENCY_NUMBERS)) {
    return no('emergency-number', `calls with emergency number ${input.otherParty} are never recorded`);
  }
  if (number.settings.statusMode === 'manual') {
    if (number.settings.activeStatus === 'private') {
      return no('manual-private', `${number.number} is in private mode (manual)`);
    }
  } else if (!isWithinSchedule(number, input.at)) {
    return no('outside-schedule', `${number.number} is outside its recording schedule`);
  }
  return {
    record: true,
    reason: 'recording',
    beep: number.settings.beep,
    message: `${number.number} is in professional mode: the call is recorded`,
  };
}

/** The badge status of a number at an instant (no other party). */
export function numberStatusAt(
  number: Pick<RecordedNumber, 'number' | 'mvrActive' | 'settings' | 'slots'>,
  at: RecordingDecisionInput['at'],
): NumberStatus {
  const d = decideRecording({ number, at });
  switch (d.reason) {
    case 'recording':
      return 'recording';
    case 'mvr-inactive':
      return 'inactive';
    case 'manual-private':
      return 'private';
    default:
      return 'outside-schedule';
  }
}
