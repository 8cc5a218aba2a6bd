/**
 * Recording coverage: when was a recorded number expected to be recorded?
 *
 * A number is expected to be recorded while {@link numberStatusAt} says `recording`: MVR
 * active and, in Auto mode, inside one of its weekly slots (wall-clock times in the
 * number's time zone), or in Manual mode with the active status Professional. These
 * functions give the same answer as `numberStatusAt` at every instant, but as intervals,
 * computed from the slots rather than by sampling, so that a day, a week or 90 days of
 * 10,000 numbers cost little.
 *
 * Time zones: the UTC timeline is cut where the zone's offset changes (DST); on each piece
 * the wall clock is UTC plus a constant offset, so a slot's wall-clock interval maps to one
 * UTC interval. A spring-forward day therefore has a 23-hour Sunday (a 02:00-03:00 slot
 * never happens), a fall-back day a 25-hour one (a 02:00-03:00 slot happens twice), as
 * `isWithinSchedule` decides.
 *
 * The number's settings and slots are the ones given: there is no history of settings, so
 * a caller that passes today's settings computes the past as if they had always applied.
 */
import { DateTime, IANAZone } from 'luxon';
import { parseTimeOfDay } from './slots';
import { RecordedNumber, Weekday } from './types';

/** What coverage needs of a number (a {@link RecordedNumber} has it). */
export type CoverageNumber = Pick<
  RecordedNumber,
  'mvrActive' | 'settings' | 'slots'
>;

/** An instant: Date, epoch milliseconds, ISO 8601 string or luxon DateTime. */
export type CoverageInstant = Date | number | string | DateTime;

/** A half-open interval `[start, end)` of epoch milliseconds. */
export interface CoverageInterval {
  start: number;
  end: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The offset is sampled at this step to find its changes (zones change at most twice a day). */
const OFFSET_SAMPLE_MS = 6 * 3_600_000;

/** Epoch milliseconds of an instant; throws on an invalid one. */
export function coverageInstantMillis(at: CoverageInstant): number {
  let ms: number;
  if (DateTime.isDateTime(at)) ms = at.toMillis();
  else if (at instanceof Date) ms = at.getTime();
  else if (typeof at === 'number') ms = at;
  else ms = DateTime.fromISO(at, { setZone: true }).toMillis();
  if (!Number.isFinite(ms)) {
    throw new Error(`invalid instant ${JSON.stringify(String(at))}`);
  }
  return ms;
}

function zoneOf(timeZone: string): IANAZone {
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) {
    throw new Error(
      `cannot evaluate schedule: invalid time zone "${timeZone}"`,
    );
  }
  return zone;
}

type OffsetPiece = CoverageInterval & { offsetMinutes: number };

/**
 * The pieces of recent ranges: many numbers share a zone and a range (a day of the
 * coverage job), and the zone's offset is the costly part. Bounded; read-only pieces.
 */
const PIECES_CACHE = new Map<string, readonly OffsetPiece[]>();
const PIECES_CACHE_MAX = 256;

/** Pieces of `[from, to)` on which the zone's offset (minutes) is constant. */
function constantOffsetPieces(
  zone: IANAZone,
  from: number,
  to: number,
): readonly OffsetPiece[] {
  const key = `${zone.name}|${from}|${to}`;
  const hit = PIECES_CACHE.get(key);
  if (hit) return hit;
  const pieces = computeOffsetPieces(zone, from, to);
  if (PIECES_CACHE.size >= PIECES_CACHE_MAX) PIECES_CACHE.clear();
  PIECES_CACHE.set(key, pieces);
  return pieces;
}

function computeOffsetPieces(
  zone: IANAZone,
  from: number,
  to: number,
): OffsetPiece[] {
  const pieces: OffsetPiece[] = [];
  let start = from;
  let offset = zone.offset(from);
  let probe = from;
  while (probe < to) {
    const next = Math.min(probe + OFFSET_SAMPLE_MS, to - 1);
    if (next <= probe) break;
    const nextOffset = zone.offset(next);
    if (nextOffset !== offset) {
      // first millisecond in (probe, next] with the new offset
      let lo = probe;
      let hi = next;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zone.offset(mid) === offset) lo = mid;
        else hi = mid;
      }
      pieces.push({ start, end: hi, offsetMinutes: offset });
      start = hi;
      offset = zone.offset(hi);
      probe = hi;
      continue;
    }
    probe = next;
    if (next === to - 1) break;
  }
  pieces.push({ start, end: to, offsetMinutes: offset });
  return pieces;
}

function merge(intervals: CoverageInterval[]): CoverageInterval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const out: CoverageInterval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/**
 * The intervals of `[from, to)` during which the number was expected to be recorded
 * (sorted, disjoint, adjacent ones merged). Same answer as `numberStatusAt(number, t) ===
 * 'recording'` for every `t` in the range.
 */
export function expectedRecordingIntervals(
  number: CoverageNumber,
  from: CoverageInstant,
  to: CoverageInstant,
): CoverageInterval[] {
  const start = coverageInstantMillis(from);
  const end = coverageInstantMillis(to);
  if (end <= start || !number.mvrActive) return [];
  if (number.settings.statusMode === 'manual') {
    return number.settings.activeStatus === 'private' ? [] : [{ start, end }];
  }
  const zone = zoneOf(number.settings.timeZone);
  const slots = number.slots
    .map(s => ({
      weekdays: s.weekdays,
      startMs: (parseTimeOfDay(s.start) ?? NaN) * MINUTE_MS,
      endMs: (parseTimeOfDay(s.end) ?? NaN) * MINUTE_MS,
    }))
    .filter(
      s =>
        Number.isFinite(s.startMs) &&
        Number.isFinite(s.endMs) &&
        s.endMs > s.startMs,
    );
  if (slots.length === 0) return [];
  const out: CoverageInterval[] = [];
  for (const piece of constantOffsetPieces(zone, start, end)) {
    const offsetMs = piece.offsetMinutes * MINUTE_MS;
    // wall-clock milliseconds (as if UTC) of the piece
    const localStart = piece.start + offsetMs;
    const localEnd = piece.end + offsetMs;
    const firstDay = Math.floor(localStart / DAY_MS);
    const lastDay = Math.floor((localEnd - 1) / DAY_MS);
    for (let day = firstDay; day <= lastDay; day++) {
      // 1970-01-01 (day 0) was a Thursday (ISO weekday 4)
      const weekday = ((((day + 3) % 7) + 7) % 7) + 1;
      for (const slot of slots) {
        if (!slot.weekdays.includes(weekday as Weekday)) continue;
        const a = Math.max(day * DAY_MS + slot.startMs, localStart);
        const b = Math.min(day * DAY_MS + slot.endMs, localEnd);
        if (b > a) out.push({ start: a - offsetMs, end: b - offsetMs });
      }
    }
  }
  return merge(out);
}

/** Seconds of `[from, to)` during which the number was expected to be recorded. */
export function expectedRecordingSeconds(
  number: CoverageNumber,
  from: CoverageInstant,
  to: CoverageInstant,
): number {
  const ms = expectedRecordingIntervals(number, from, to).reduce(
    (sum, i) => sum + (i.end - i.start),
    0,
  );
  return ms / 1000;
}

/**
 * Expected-recording seconds since `since` (e.g. the number's last recorded call) until
 * `now`: what the silent-number alarm compares with its threshold. 0 when `since` is not
 * before `now`.
 */
export function expectedRecordingSecondsSince(
  number: CoverageNumber,
  since: CoverageInstant,
  now: CoverageInstant,
): number {
  return expectedRecordingSeconds(number, since, now);
}

/**
 * The instant at which the number will have been expected to be recorded for `seconds`
 * since `since` (the moment a silent-number threshold is crossed), looking no further than
 * `until`; undefined when it is not reached by then (e.g. private mode, MVR inactive).
 */
export function instantWhenExpectedSecondsReached(
  number: CoverageNumber,
  since: CoverageInstant,
  seconds: number,
  until: CoverageInstant,
): Date | undefined {
  const start = coverageInstantMillis(since);
  const end = coverageInstantMillis(until);
  let remaining = seconds * 1000;
  if (remaining <= 0) return start <= end ? new Date(start) : undefined;
  const windowMs = 7 * DAY_MS;
  for (let a = start; a < end; a += windowMs) {
    const b = Math.min(a + windowMs, end);
    for (const i of expectedRecordingIntervals(number, a, b)) {
      const length = i.end - i.start;
      if (length >= remaining) return new Date(i.start + remaining);
      remaining -= length;
    }
  }
  return undefined;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `value` is a calendar day `YYYY-MM-DD` that exists. */
export function isCalendarDay(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    DAY_RE.test(value) &&
    DateTime.fromISO(value, { zone: 'UTC' }).isValid
  );
}

/** `[start, end)` (epoch ms) of a calendar day `YYYY-MM-DD` in a time zone (23, 24 or 25 hours). */
export function calendarDayBounds(
  day: string,
  timeZone: string,
): CoverageInterval {
  if (!isCalendarDay(day))
    throw new Error(`invalid day "${day}" (expected YYYY-MM-DD)`);
  zoneOf(timeZone);
  const start = DateTime.fromISO(day, { zone: timeZone }).startOf('day');
  return {
    start: start.toMillis(),
    end: start.plus({ days: 1 }).startOf('day').toMillis(),
  };
}

/** The calendar day `YYYY-MM-DD` of an instant in a time zone. */
export function calendarDayOf(at: CoverageInstant, timeZone: string): string {
  zoneOf(timeZone);
  return DateTime.fromMillis(coverageInstantMillis(at), {
    zone: timeZone,
  }).toISODate()!;
}

/** Calendar days from `from` to `to`, both included (empty when `to` is before `from`). */
export function calendarDaysBetween(from: string, to: string): string[] {
  if (!isCalendarDay(from))
    throw new Error(`invalid day "${from}" (expected YYYY-MM-DD)`);
  if (!isCalendarDay(to))
    throw new Error(`invalid day "${to}" (expected YYYY-MM-DD)`);
  const days: string[] = [];
  let d = DateTime.fromISO(from, { zone: 'UTC' });
  const last = DateTime.fromISO(to, { zone: 'UTC' });
  while (d <= last) {
    days.push(d.toISODate()!);
    d = d.plus({ days: 1 });
  }
  return days;
}

/** Shifts a calendar day by `days` (negative: earlier). */
export function addCalendarDays(day: string, days: number): string {
  if (!isCalendarDay(day))
    throw new Error(`invalid day "${day}" (expected YYYY-MM-DD)`);
  return DateTime.fromISO(day, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/**
 * Expected-recording seconds of a number per calendar day of `dayTimeZone` (the
 * installation's days, not necessarily the number's zone), from `from` to `to` inclusive.
 * `until` (optional) cuts the last day short, for today so far.
 */
export function expectedRecordingSecondsByDay(
  number: CoverageNumber,
  from: string,
  to: string,
  dayTimeZone: string,
  until?: CoverageInstant,
): Array<{ day: string; expectedSeconds: number }> {
  const cut = until === undefined ? Infinity : coverageInstantMillis(until);
  return calendarDaysBetween(from, to).map(day => {
    const bounds = calendarDayBounds(day, dayTimeZone);
    const end = Math.min(bounds.end, cut);
    return {
      day,
      expectedSeconds:
        end > bounds.start
          ? expectedRecordingSeconds(number, bounds.start, end)
          : 0,
    };
  });
}

/**
 * Refusals the recording rules asked for (private mode, outside the schedule, MVR
 * inactive, an emergency number, a second call when simultaneous calls are off): the
 * recorder did its job. Every other reason (no capacity, storage unavailable, unsupported
 * media, invalid request, error) is a recording failure.
 */
export const POLICY_REFUSAL_REASONS: readonly string[] = [
  'mvr-inactive',
  'manual-private',
  'outside-schedule',
  'emergency-number',
  'simultaneous-calls',
  'unknown-number',
];

/** Whether a refusal reason is a recording failure (not one the rules asked for). */
export function isFailureRefusal(reason: string): boolean {
  return !POLICY_REFUSAL_REASONS.includes(reason);
}

/** Refused calls that are recording failures, from refusals by reason. */
export function failureRefusals(
  refusedByReason: Record<string, number>,
): number {
  return Object.entries(refusedByReason).reduce(
    (sum, [reason, n]) => sum + (isFailureRefusal(reason) ? n : 0),
    0,
  );
}
