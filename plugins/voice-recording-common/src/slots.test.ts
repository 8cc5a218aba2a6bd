import {
  describeSlot,
  normalizeSlot,
  parseTimeOfDay,
  parseWeekdays,
  slotsOverlap,
  validateSlot,
  validateSlots,
} from './slots';
import { TimeSlot } from './types';

describe('parseTimeOfDay', () => {
  it.each([
    ['00:00', 0],
    ['08:30', 510],
    ['23:59', 1439],
    ['24:00', 1440],
    [' 07:05 ', 425],
  ])('%s -> %s', (s, m) => expect(parseTimeOfDay(s)).toBe(m));
  it.each(['24:01', '25:00', '8:00', '08:60', 'noon', ''])('rejects %s', s =>
    expect(parseTimeOfDay(s)).toBeUndefined(),
  );
});

describe('parseWeekdays', () => {
  it('reads numbers, names and ranges', () => {
    expect(parseWeekdays('1,2,3')).toEqual([1, 2, 3]);
    expect(parseWeekdays('Mon-Fri')).toEqual([1, 2, 3, 4, 5]);
    expect(parseWeekdays('sat;sun')).toEqual([6, 7]);
    expect(parseWeekdays('Friday, monday')).toEqual([1, 5]);
  });
  it('rejects junk', () => {
    expect(parseWeekdays('')).toBeUndefined();
    expect(parseWeekdays('8')).toBeUndefined();
    expect(parseWeekdays('Fri-Mon')).toBeUndefined();
  });
});

describe('validateSlot', () => {
  const ok: TimeSlot = { weekdays: [1], start: '08:00', end: '08:05' };
  it('accepts exactly five minutes and a 23:55-24:00 slot', () => {
    expect(validateSlot(ok)).toBeUndefined();
    expect(validateSlot({ weekdays: [7], start: '23:55', end: '24:00' })).toBeUndefined();
  });
  it('refuses under five minutes, naming the minimum', () => {
    expect(validateSlot({ weekdays: [1], start: '08:00', end: '08:04' })).toMatch(
      /4 minutes long; the minimum is 5 minutes/,
    );
  });
  it('refuses end before start, empty weekdays, bad weekday, duplicate weekday, bad times', () => {
    expect(validateSlot({ weekdays: [1], start: '18:00', end: '08:00' })).toMatch(/must be after start/);
    expect(validateSlot({ weekdays: [], start: '08:00', end: '09:00' })).toMatch(/at least one weekday/);
    expect(validateSlot({ weekdays: [8 as any], start: '08:00', end: '09:00' })).toMatch(/invalid weekday 8/);
    expect(validateSlot({ weekdays: [1, 1], start: '08:00', end: '09:00' })).toMatch(/twice/);
    expect(validateSlot({ weekdays: [1], start: '24:00', end: '24:00' })).toMatch(/invalid start/);
    expect(validateSlot({ weekdays: [1], start: '08:00', end: '00:00' })).toMatch(/invalid end/);
  });
});

describe('overlaps', () => {
  const a: TimeSlot = { weekdays: [1, 2], start: '08:00', end: '12:00' };
  it('touching slots do not overlap', () => {
    expect(slotsOverlap(a, { weekdays: [1], start: '12:00', end: '13:00' })).toBe(false);
  });
  it('different days do not overlap', () => {
    expect(slotsOverlap(a, { weekdays: [3], start: '09:00', end: '10:00' })).toBe(false);
  });
  it('shared day and intersecting time overlap', () => {
    expect(slotsOverlap(a, { weekdays: [2, 5], start: '11:59', end: '13:00' })).toBe(true);
  });
  it('validateSlots names both slots in the overlap error', () => {
    const errors = validateSlots([a, { weekdays: [3], start: '08:00', end: '09:00' }, { weekdays: [2], start: '10:00', end: '14:00' }]);
    expect(errors).toEqual([
      {
        index: 2,
        otherIndex: 0,
        message: 'slot Tue 10:00-14:00 overlaps slot Mon,Tue 08:00-12:00',
      },
    ]);
  });
  it('validateSlots reports invalid slots and skips them for overlap checks', () => {
    const errors = validateSlots([{ weekdays: [1], start: '08:00', end: '08:01' }, a]);
    expect(errors).toHaveLength(1);
    expect(errors[0].index).toBe(0);
  });
});

it('describes and normalises slots', () => {
  expect(describeSlot({ weekdays: [5, 1], start: '08:00', end: '18:00' })).toBe('Mon,Fri 08:00-18:00');
  expect(normalizeSlot({ weekdays: [3, 1, 3] as any, start: ' 08:00', end: '18:00' })).toEqual({
    weekdays: [1, 3],
    start: '08:00',
    end: '18:00',
  });
});
