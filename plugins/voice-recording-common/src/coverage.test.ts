import { DateTime } from 'luxon';
import {
  addCalendarDays,
  calendarDayBounds,
  calendarDayOf,
  calendarDaysBetween,
  CoverageInterval,
  expectedRecordingIntervals,
  expectedRecordingSeconds,
  expectedRecordingSecondsByDay,
  expectedRecordingSecondsSince,
  failureRefusals,
  isFailureRefusal,
  instantWhenExpectedSecondsReached,
  isCalendarDay,
} from './coverage';
import { numberStatusAt } from './recordingDecision';
import { RecordedNumber, TimeSlot } from './types';

function number(
  slots: TimeSlot[],
  overrides: Partial<RecordedNumber['settings']> & { mvrActive?: boolean } = {},
) {
  const { mvrActive = true, ...settings } = overrides;
  return {
    number: '+32470123456',
    mvrActive,
    slots,
    settings: {
      beep: true,
      smsOnStatusChange: false,
      statusMode: 'auto' as const,
      activeStatus: 'professional' as const,
      selfManaged: false,
      simultaneousCalls: true,
      timeZone: 'Europe/Brussels',
      ...settings,
    },
  };
}

const HOUR = 3600;
const officeHours: TimeSlot = {
  weekdays: [1, 2, 3, 4, 5],
  start: '08:00',
  end: '18:00',
};
const allWeek: TimeSlot = {
  weekdays: [1, 2, 3, 4, 5, 6, 7],
  start: '00:00',
  end: '24:00',
};
const sundayNight: TimeSlot = { weekdays: [7], start: '02:00', end: '03:00' };
const sundayFallBack: TimeSlot = {
  weekdays: [7],
  start: '02:30',
  end: '02:45',
};
const lateSaturday: TimeSlot = { weekdays: [6], start: '23:55', end: '24:00' };
const earlySunday: TimeSlot = { weekdays: [7], start: '00:00', end: '00:10' };

function inside(intervals: CoverageInterval[], t: number): boolean {
  return intervals.some(i => i.start <= t && t < i.end);
}

/**
 * Samples every `stepSeconds` (offset by `phaseSeconds`) and compares with numberStatusAt:
 * returns the instants where they disagree (none expected).
 */
function disagreements(
  n: ReturnType<typeof number>,
  fromIso: string,
  toIso: string,
  stepSeconds: number,
  phaseSeconds = 0,
): string[] {
  const from = Date.parse(fromIso);
  const to = Date.parse(toIso);
  const intervals = expectedRecordingIntervals(n, from, to);
  const out: string[] = [];
  for (let t = from + phaseSeconds * 1000; t < to; t += stepSeconds * 1000) {
    const expected = numberStatusAt(n, t) === 'recording';
    if (inside(intervals, t) !== expected) out.push(new Date(t).toISOString());
  }
  return out;
}

describe('expectedRecordingIntervals agrees with numberStatusAt at every sampled instant', () => {
  // Europe/Brussels 2026: CET->CEST on Sun 29 March 02:00, CEST->CET on Sun 25 October 03:00.
  it.each([
    [
      'Brussels, office hours, spring-forward week',
      'Europe/Brussels',
      [officeHours],
      '2026-03-26T00:00:00Z',
      '2026-04-02T00:00:00Z',
    ],
    [
      'Brussels, office hours, fall-back week',
      'Europe/Brussels',
      [officeHours],
      '2026-10-22T00:00:00Z',
      '2026-10-29T00:00:00Z',
    ],
    [
      'Brussels, Sunday 02:00-03:00 on both DST nights',
      'Europe/Brussels',
      [sundayNight, lateSaturday],
      '2026-03-28T00:00:00Z',
      '2026-03-30T00:00:00Z',
    ],
    [
      'Brussels, Sunday 02:30-02:45 on the fall-back night (twice)',
      'Europe/Brussels',
      [sundayFallBack, lateSaturday, earlySunday],
      '2026-10-24T00:00:00Z',
      '2026-10-26T00:00:00Z',
    ],
    [
      'New York, Sunday 02:00-03:00, spring forward',
      'America/New_York',
      [sundayNight, officeHours],
      '2026-03-07T00:00:00Z',
      '2026-03-10T00:00:00Z',
    ],
    [
      'New York, fall back',
      'America/New_York',
      [sundayNight, officeHours],
      '2026-10-31T00:00:00Z',
      '2026-11-03T00:00:00Z',
    ],
    [
      'Lord Howe (30-minute DST), April',
      'Australia/Lord_Howe',
      [sundayNight, officeHours],
      '2026-04-03T00:00:00Z',
      '2026-04-07T00:00:00Z',
    ],
    [
      'Lord Howe, October',
      'Australia/Lord_Howe',
      [sundayNight, officeHours],
      '2026-10-02T00:00:00Z',
      '2026-10-06T00:00:00Z',
    ],
    [
      'Chatham (+12:45/+13:45), April',
      'Pacific/Chatham',
      [sundayNight, officeHours, earlySunday],
      '2026-04-03T00:00:00Z',
      '2026-04-07T00:00:00Z',
    ],
    [
      'Kolkata (+05:30, no DST)',
      'Asia/Kolkata',
      [officeHours, lateSaturday, earlySunday],
      '2026-01-01T00:00:00Z',
      '2026-01-08T00:00:00Z',
    ],
    [
      'UTC, whole week',
      'UTC',
      [allWeek],
      '2026-01-01T00:00:00Z',
      '2026-01-03T00:00:00Z',
    ],
  ] as Array<[string, string, TimeSlot[], string, string]>)(
    '%s',
    (_name, timeZone, slots, from, to) => {
      const n = number(slots, { timeZone });
      // every minute, on the minute and 59 s into it (the edges of a slot's minute)
      expect(disagreements(n, from, to, 60, 0)).toEqual([]);
      expect(disagreements(n, from, to, 60, 59.999)).toEqual([]);
    },
  );

  it('finds no disagreement either for manual, private and inactive numbers', () => {
    for (const n of [
      number([officeHours], {
        statusMode: 'manual',
        activeStatus: 'professional',
      }),
      number([officeHours], { statusMode: 'manual', activeStatus: 'private' }),
      number([officeHours], { mvrActive: false }),
    ]) {
      expect(
        disagreements(n, '2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z', 300),
      ).toEqual([]);
    }
  });
});

describe('expectedRecordingSeconds', () => {
  it('is 23 hours on the spring-forward Sunday and 25 on the fall-back one for a 24/7 schedule', () => {
    const n = number([allWeek]);
    const spring = calendarDayBounds('2026-03-29', 'Europe/Brussels');
    const autumn = calendarDayBounds('2026-10-25', 'Europe/Brussels');
    const normal = calendarDayBounds('2026-10-18', 'Europe/Brussels');
    expect(expectedRecordingSeconds(n, spring.start, spring.end)).toBe(
      23 * HOUR,
    );
    expect(expectedRecordingSeconds(n, autumn.start, autumn.end)).toBe(
      25 * HOUR,
    );
    expect(expectedRecordingSeconds(n, normal.start, normal.end)).toBe(
      24 * HOUR,
    );
  });

  it('counts a Sunday 02:00-03:00 slot 0 hours when it does not exist and 2 hours when it happens twice', () => {
    const n = number([sundayNight]);
    const spring = calendarDayBounds('2026-03-29', 'Europe/Brussels');
    const autumn = calendarDayBounds('2026-10-25', 'Europe/Brussels');
    expect(expectedRecordingSeconds(n, spring.start, spring.end)).toBe(0);
    expect(expectedRecordingSeconds(n, autumn.start, autumn.end)).toBe(
      2 * HOUR,
    );
    expect(expectedRecordingIntervals(n, autumn.start, autumn.end)).toEqual([
      // 02:00 CEST = 00:00Z until 03:00 CEST which is 02:00 CET = 01:00Z, then 02:00-03:00 CET
      {
        start: Date.parse('2026-10-25T00:00:00Z'),
        end: Date.parse('2026-10-25T02:00:00Z'),
      },
    ]);
  });

  it('is 60 hours for office hours on six working days across a DST change, at the local times', () => {
    const n = number([officeHours]);
    // Monday 23 March (CET) to Monday 30 March (CEST) included
    const from = DateTime.fromISO('2026-03-23T00:00', {
      zone: 'Europe/Brussels',
    });
    const to = DateTime.fromISO('2026-03-31T00:00', {
      zone: 'Europe/Brussels',
    });
    expect(expectedRecordingSeconds(n, from, to)).toBe(60 * HOUR);
    const intervals = expectedRecordingIntervals(n, from, to);
    expect(intervals).toHaveLength(6);
    expect(new Date(intervals[0].start).toISOString()).toBe(
      '2026-03-23T07:00:00.000Z',
    );
    expect(new Date(intervals[5].start).toISOString()).toBe(
      '2026-03-30T06:00:00.000Z',
    );
  });

  it('merges a 23:55-24:00 Saturday and a 00:00-00:10 Sunday into one interval', () => {
    const n = number([lateSaturday, earlySunday]);
    const intervals = expectedRecordingIntervals(
      n,
      '2026-01-10T00:00:00Z',
      '2026-01-12T00:00:00Z',
    );
    expect(intervals).toEqual([
      {
        start: Date.parse('2026-01-10T22:55:00Z'),
        end: Date.parse('2026-01-10T23:10:00Z'),
      },
    ]);
  });

  it('cuts intervals at the range and accepts ISO strings, dates and DateTimes', () => {
    const n = number([officeHours]);
    // Monday 5 January 2026 08:00-18:00 CET = 07:00Z-17:00Z; range 12:00Z-12:30Z
    expect(
      expectedRecordingSeconds(
        n,
        '2026-01-05T12:00:00Z',
        new Date('2026-01-05T12:30:00Z'),
      ),
    ).toBe(1800);
    expect(
      expectedRecordingSeconds(
        n,
        DateTime.fromISO('2026-01-05T16:30:00Z'),
        '2026-01-05T20:00:00Z',
      ),
    ).toBe(1800);
    expect(
      expectedRecordingSeconds(
        n,
        '2026-01-05T20:00:00Z',
        '2026-01-05T12:00:00Z',
      ),
    ).toBe(0);
  });

  it('is the whole range in manual professional mode, 0 in manual private mode or with MVR inactive', () => {
    const from = '2026-01-10T00:00:00Z'; // a Saturday: outside office hours
    const to = '2026-01-11T00:00:00Z';
    expect(
      expectedRecordingSeconds(
        number([officeHours], { statusMode: 'manual' }),
        from,
        to,
      ),
    ).toBe(24 * HOUR);
    expect(
      expectedRecordingSeconds(
        number([allWeek], { statusMode: 'manual', activeStatus: 'private' }),
        from,
        to,
      ),
    ).toBe(0);
    expect(
      expectedRecordingSeconds(
        number([allWeek], { mvrActive: false }),
        from,
        to,
      ),
    ).toBe(0);
  });

  it('names an invalid time zone or instant', () => {
    expect(() =>
      expectedRecordingSeconds(
        number([officeHours], { timeZone: 'Mars/Olympus' }),
        0,
        1000,
      ),
    ).toThrow('invalid time zone "Mars/Olympus"');
    expect(() =>
      expectedRecordingSeconds(number([officeHours]), 'yesterday', 1000),
    ).toThrow('invalid instant "yesterday"');
  });
});

describe('silent-number helpers', () => {
  const n = number([officeHours]);
  // last recorded call Friday 9 January 2026 17:00 CET (16:00Z)
  const lastCall = '2026-01-09T16:00:00Z';

  it('counts only expected-recording time since the last call', () => {
    // Monday 12 January 10:00 CET: 1 h Friday + 2 h Monday, the weekend does not count
    expect(
      expectedRecordingSecondsSince(n, lastCall, '2026-01-12T09:00:00Z'),
    ).toBe(3 * HOUR);
    expect(
      expectedRecordingSecondsSince(n, lastCall, '2026-01-09T15:00:00Z'),
    ).toBe(0);
  });

  it('finds the instant a threshold of expected-recording hours is crossed', () => {
    expect(
      instantWhenExpectedSecondsReached(
        n,
        lastCall,
        3 * HOUR,
        '2026-02-01T00:00:00Z',
      )?.toISOString(),
    ).toBe('2026-01-12T09:00:00.000Z');
    // 3 working days of 10 h = 30 h: Friday 1 h + Mon, Tue 20 h + Wed 9 h → Wed 14 January 17:00 CET
    expect(
      instantWhenExpectedSecondsReached(
        n,
        lastCall,
        30 * HOUR,
        '2026-02-01T00:00:00Z',
      )?.toISOString(),
    ).toBe('2026-01-14T16:00:00.000Z');
    // not before the limit
    expect(
      instantWhenExpectedSecondsReached(
        n,
        lastCall,
        30 * HOUR,
        '2026-01-14T15:59:00Z',
      ),
    ).toBe(undefined);
    // never for a number in private mode
    expect(
      instantWhenExpectedSecondsReached(
        number([officeHours], {
          statusMode: 'manual',
          activeStatus: 'private',
        }),
        lastCall,
        HOUR,
        '2026-03-01T00:00:00Z',
      ),
    ).toBe(undefined);
  });

  it('crosses several weeks when the threshold needs it', () => {
    // 120 h = 12 working days from Monday 12 January 08:00 CET (07:00Z) → end of Tue 27 January
    expect(
      instantWhenExpectedSecondsReached(
        n,
        '2026-01-12T07:00:00Z',
        120 * HOUR,
        '2026-03-01T00:00:00Z',
      )?.toISOString(),
    ).toBe('2026-01-27T17:00:00.000Z');
  });
});

describe('calendar days', () => {
  it('validates days', () => {
    expect(isCalendarDay('2026-03-29')).toBe(true);
    expect(isCalendarDay('2026-02-30')).toBe(false);
    expect(isCalendarDay('2026-3-29')).toBe(false);
    expect(isCalendarDay(20260329)).toBe(false);
    expect(() => calendarDaysBetween('2026-02-30', '2026-03-01')).toThrow(
      'invalid day "2026-02-30"',
    );
  });

  it('lists, shifts and places days', () => {
    expect(calendarDaysBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
    expect(calendarDaysBetween('2026-03-02', '2026-03-01')).toEqual([]);
    expect(addCalendarDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(calendarDayOf('2026-03-28T23:30:00Z', 'Europe/Brussels')).toBe(
      '2026-03-29',
    );
    expect(calendarDayOf('2026-03-28T23:30:00Z', 'UTC')).toBe('2026-03-28');
  });

  it('gives expected seconds per day of the installation zone, today cut at now', () => {
    const n = number([allWeek]);
    expect(
      expectedRecordingSecondsByDay(
        n,
        '2026-03-28',
        '2026-03-30',
        'Europe/Brussels',
      ),
    ).toEqual([
      { day: '2026-03-28', expectedSeconds: 24 * HOUR },
      { day: '2026-03-29', expectedSeconds: 23 * HOUR },
      { day: '2026-03-30', expectedSeconds: 24 * HOUR },
    ]);
    // a number in New York seen from Brussels days: office hours 08:00-18:00 EST = 14:00-24:00 CET
    const ny = number([officeHours], { timeZone: 'America/New_York' });
    expect(
      expectedRecordingSecondsByDay(
        ny,
        '2026-01-05',
        '2026-01-05',
        'Europe/Brussels',
      ),
    ).toEqual([{ day: '2026-01-05', expectedSeconds: 10 * HOUR }]);
    expect(
      expectedRecordingSecondsByDay(
        n,
        '2026-03-29',
        '2026-03-30',
        'Europe/Brussels',
        '2026-03-29T10:00:00Z', // 12:00 CEST: 11 h into the 23-hour day
      ),
    ).toEqual([
      { day: '2026-03-29', expectedSeconds: 11 * HOUR },
      { day: '2026-03-30', expectedSeconds: 0 },
    ]);
  });
});

describe('refusal reasons', () => {
  it('tells the refusals the rules asked for from recording failures', () => {
    expect(isFailureRefusal('outside-schedule')).toBe(false);
    expect(isFailureRefusal('manual-private')).toBe(false);
    expect(isFailureRefusal('no-capacity')).toBe(true);
    expect(isFailureRefusal('storage-unavailable')).toBe(true);
    expect(
      failureRefusals({ 'outside-schedule': 4, 'no-capacity': 2, error: 1 }),
    ).toBe(3);
  });
});
