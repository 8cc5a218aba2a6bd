import { TimeSlot, Weekday } from './types';

/** Minimum length of a time slot, in minutes. */
export const MIN_SLOT_MINUTES = 5;

export const WEEKDAY_NAMES: Record<Weekday, string> = {
  1: 'Mon',
  2: 'Tue',
  3: 'Wed',
  4: 'Thu',
  5: 'Fri',
  6: 'Sat',
  7: 'Sun',
};

const TIME_RE = /^([01]\d|2[0-4]):([0-5]\d)$/;

/** `HH:mm` to minutes since midnight; `24:00` is 1440. Returns undefined if invalid. */
export function parseTimeOfDay(value: string): number | undefined {
  const m = TIME_RE.exec(String(value ?? '').trim());
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > 1440) return undefined;
  return minutes;
}

/** Minutes since midnight to `HH:mm`. */
export function formatTimeOfDay(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** Human-readable slot, e.g. `Mon,Tue 08:00-18:00`. */
export function describeSlot(slot: TimeSlot): string {
  const days = [...slot.weekdays]
    .sort((a, b) => a - b)
    .map(d => WEEKDAY_NAMES[d] ?? String(d))
    .join(',');
  return `${days} ${slot.start}-${slot.end}`;
}

/** Parses a weekday list such as `1,2,3`, `Mon,Tue`, `Mon-Fri`. */
export function parseWeekdays(value: string): Weekday[] | undefined {
  const names = Object.entries(WEEKDAY_NAMES).reduce<Record<string, Weekday>>(
    (acc, [k, v]) => ({ ...acc, [v.toLowerCase()]: Number(k) as Weekday }),
    {},
  );
  const one = (t: string): Weekday | undefined => {
    const s = t.trim().toLowerCase();
    if (/^[1-7]$/.test(s)) return Number(s) as Weekday;
    return names[s.slice(0, 3)];
  };
  const out = new Set<Weekday>();
  for (const part of String(value).split(/[,;\s]+/).filter(Boolean)) {
    const range = part.split('-');
    if (range.length === 2) {
      const a = one(range[0]);
      const b = one(range[1]);
      if (!a || !b || b < a) return undefined;
      for (let d = a; d <= b; d++) out.add(d as Weekday);
    } else {
      const d = one(part);
      if (!d) return undefined;
      out.add(d);
    }
  }
  if (out.size === 0) return undefined;
  return [...out].sort((x, y) => x - y);
}

export interface SlotError {
  /** Index of the offending slot in the list that was validated. */
  index: number;
  /** Index of the other slot, for overlaps. */
  otherIndex?: number;
  message: string;
}

/** Validates one slot on its own: weekdays, times, order and minimum length. */
export function validateSlot(slot: TimeSlot): string | undefined {
  if (!Array.isArray(slot.weekdays) || slot.weekdays.length === 0) {
    return 'a slot needs at least one weekday';
  }
  for (const d of slot.weekdays) {
    if (!Number.isInteger(d) || d < 1 || d > 7) {
      return `invalid weekday ${JSON.stringify(d)} (expected 1=Monday ... 7=Sunday)`;
    }
  }
  if (new Set(slot.weekdays).size !== slot.weekdays.length) {
    return 'a weekday is listed twice';
  }
  const start = parseTimeOfDay(slot.start);
  const end = parseTimeOfDay(slot.end);
  if (start === undefined || start >= 1440) {
    return `invalid start time ${JSON.stringify(slot.start)} (expected HH:mm, 00:00-23:59)`;
  }
  if (end === undefined || end === 0) {
    return `invalid end time ${JSON.stringify(slot.end)} (expected HH:mm, 00:01-24:00)`;
  }
  if (end <= start) {
    return `end ${slot.end} must be after start ${slot.start} (a slot cannot cross midnight; split it in two)`;
  }
  if (end - start < MIN_SLOT_MINUTES) {
    return `slot ${describeSlot(slot)} is ${end - start} minutes long; the minimum is ${MIN_SLOT_MINUTES} minutes`;
  }
  return undefined;
}

/** True when the two slots share a weekday and their time ranges intersect. */
export function slotsOverlap(a: TimeSlot, b: TimeSlot): boolean {
  if (!a.weekdays.some(d => b.weekdays.includes(d))) return false;
  const as = parseTimeOfDay(a.start)!;
  const ae = parseTimeOfDay(a.end)!;
  const bs = parseTimeOfDay(b.start)!;
  const be = parseTimeOfDay(b.end)!;
  return as < be && bs < ae;
}

/**
 * Validates a list of slots: each slot alone, then every pair for overlap.
 * Overlap errors name both slots.
 */
export function validateSlots(slots: TimeSlot[]): SlotError[] {
  const errors: SlotError[] = [];
  const valid: number[] = [];
  slots.forEach((slot, index) => {
    const err = validateSlot(slot);
    if (err) errors.push({ index, message: err });
    else valid.push(index);
  });
  for (let i = 0; i < valid.length; i++) {
    for (let j = i + 1; j < valid.length; j++) {
      const a = slots[valid[i]];
      const b = slots[valid[j]];
      if (slotsOverlap(a, b)) {
        errors.push({
          index: valid[j],
          otherIndex: valid[i],
          message: `slot ${describeSlot(b)} overlaps slot ${describeSlot(a)}`,
        });
      }
    }
  }
  return errors;
}

/** Canonical form of a slot: sorted weekdays, normalised times. */
export function normalizeSlot(slot: TimeSlot): TimeSlot {
  const start = parseTimeOfDay(slot.start);
  const end = parseTimeOfDay(slot.end);
  return {
    ...(slot.id ? { id: slot.id } : {}),
    weekdays: [...new Set(slot.weekdays)].sort((a, b) => a - b) as Weekday[],
    start: start === undefined ? slot.start : formatTimeOfDay(start),
    end: end === undefined ? slot.end : formatTimeOfDay(end),
  };
}

/** Whether the wall-clock time (weekday + minute of day) falls in a slot; start inclusive, end exclusive. */
export function slotContains(slot: TimeSlot, weekday: Weekday, minuteOfDay: number): boolean {
  if (!slot.weekdays.includes(weekday)) return false;
  const start = parseTimeOfDay(slot.start);
  const end = parseTimeOfDay(slot.end);
  if (start === undefined || end === undefined) return false;
  return minuteOfDay >= start && minuteOfDay < end;
}
