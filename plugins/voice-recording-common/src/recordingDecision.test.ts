import { DateTime } from 'luxon';
import { decideRecording, isWithinSchedule, numberStatusAt } from './recordingDecision';
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

const weekdays: TimeSlot = { weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' };
const lateSunday: TimeSlot = { weekdays: [7], start: '23:55', end: '24:00' };
const earlySunday: TimeSlot = { weekdays: [7], start: '02:00', end: '03:00' };
const sundayFallBack: TimeSlot = { weekdays: [7], start: '02:30', end: '02:45' };

describe('isWithinSchedule', () => {
  // Europe/Brussels 2026: CET->CEST on Sun 29 March at 02:00 (clocks to 03:00),
  // CEST->CET on Sun 25 October at 03:00 (clocks back to 02:00).
  it.each([
    // [description, UTC instant, slots, expected]
    ['Mon 08:00 local winter = 07:00Z, start is inclusive', '2026-01-05T07:00:00Z', [weekdays], true],
    ['Mon 07:59 local winter', '2026-01-05T06:59:00Z', [weekdays], false],
    ['Mon 17:59 local winter', '2026-01-05T16:59:00Z', [weekdays], true],
    ['Mon 18:00 local winter, end is exclusive', '2026-01-05T17:00:00Z', [weekdays], false],
    ['Mon 08:00 local summer = 06:00Z', '2026-07-06T06:00:00Z', [weekdays], true],
    ['Mon 07:30 local summer = 05:30Z (would be 08:30 if UTC+1 were wrongly used)', '2026-07-06T05:30:00Z', [weekdays], false],
    ['Saturday is not in a Mon-Fri slot', '2026-01-10T10:00:00Z', [weekdays], false],
    // Monday after spring forward: 08:00 CEST = 06:00Z
    ['Mon 30 March 08:00 CEST just after DST start', '2026-03-30T06:00:00Z', [weekdays], true],
    ['Mon 30 March 07:00Z is 09:00 CEST', '2026-03-30T07:00:00Z', [weekdays], true],
    ['Mon 30 March 05:59Z is 07:59 CEST', '2026-03-30T05:59:00Z', [weekdays], false],
    // Spring forward night: 01:59 CET = 00:59Z; next minute 01:00Z is 03:00 CEST
    ['29 March 01:59 CET is before the 02:00-03:00 slot', '2026-03-29T00:59:00Z', [earlySunday], false],
    ['29 March 03:00 CEST: 02:00-03:00 never happened, end exclusive', '2026-03-29T01:00:00Z', [earlySunday], false],
    // Fall back night: 02:30 local happens twice (00:30Z CEST and 01:30Z CET)
    ['25 October 02:30 CEST (first pass)', '2026-10-25T00:30:00Z', [sundayFallBack], true],
    ['25 October 02:30 CET (second pass)', '2026-10-25T01:30:00Z', [sundayFallBack], true],
    ['25 October 02:50 CET is after the slot', '2026-10-25T01:50:00Z', [sundayFallBack], false],
    ['Mon 26 October 08:00 CET = 07:00Z after DST end', '2026-10-26T07:00:00Z', [weekdays], true],
    ['Mon 26 October 06:30Z is 07:30 CET', '2026-10-26T06:30:00Z', [weekdays], false],
    // 23:55-24:00 slot on Sunday (winter: Sunday 23:55 local = 22:55Z)
    ['Sun 23:55 local is in the 23:55-24:00 slot', '2026-01-11T22:55:00Z', [lateSunday], true],
    ['Sun 23:59 local is in the 23:55-24:00 slot', '2026-01-11T22:59:59Z', [lateSunday], true],
    ['Mon 00:00 local is not (end 24:00 is exclusive)', '2026-01-11T23:00:00Z', [lateSunday], false],
    ['Sun 23:54 local is not', '2026-01-11T22:54:00Z', [lateSunday], false],
    ['Sun 23:57 local in summer = 21:57Z', '2026-07-12T21:57:00Z', [lateSunday], true],
  ])('%s', (_desc, at, slots, expected) => {
    expect(isWithinSchedule(number(slots as TimeSlot[]), at as string)).toBe(expected);
  });

  it('evaluates in the number time zone, not the machine one', () => {
    const ny = number([weekdays], { timeZone: 'America/New_York' });
    // 13:00Z on a winter Monday = 08:00 in New York, 14:00 in Brussels
    expect(isWithinSchedule(ny, '2026-01-05T13:00:00Z')).toBe(true);
    expect(isWithinSchedule(ny, '2026-01-05T12:59:00Z')).toBe(false);
  });

  it('accepts Date, millis and luxon DateTime', () => {
    const n = number([weekdays]);
    const iso = '2026-01-05T07:00:00Z';
    expect(isWithinSchedule(n, new Date(iso))).toBe(true);
    expect(isWithinSchedule(n, Date.parse(iso))).toBe(true);
    expect(isWithinSchedule(n, DateTime.fromISO(iso))).toBe(true);
  });

  it('rejects an invalid time zone with a clear error', () => {
    expect(() =>
      isWithinSchedule(number([weekdays], { timeZone: 'Mars/Olympus' }), '2026-01-05T07:00:00Z'),
    ).toThrow(/Mars\/Olympus/);
  });
});

describe('decideRecording', () => {
  const inSchedule = '2026-01-05T09:00:00Z'; // Monday 10:00 Brussels
  const outside = '2026-01-05T20:00:00Z'; // Monday 21:00 Brussels

  it('records in professional mode within the schedule, with beep setting', () => {
    expect(decideRecording({ number: number([weekdays]), at: inSchedule })).toMatchObject({
      record: true,
      reason: 'recording',
      beep: true,
    });
    expect(
      decideRecording({ number: number([weekdays], { beep: false }), at: inSchedule }).beep,
    ).toBe(false);
  });

  it('does not record when MVR is inactive, and says so first', () => {
    const d = decideRecording({
      number: number([weekdays], { mvrActive: false, statusMode: 'manual', activeStatus: 'private' }),
      at: inSchedule,
      otherParty: '112',
    });
    expect(d).toMatchObject({ record: false, reason: 'mvr-inactive', beep: false });
    expect(d.message).toContain('+32470123456');
  });

  it('does not record outside the schedule on Auto', () => {
    expect(decideRecording({ number: number([weekdays]), at: outside })).toMatchObject({
      record: false,
      reason: 'outside-schedule',
    });
  });

  it('manual private never records, manual professional records outside the schedule', () => {
    expect(
      decideRecording({
        number: number([weekdays], { statusMode: 'manual', activeStatus: 'private' }),
        at: inSchedule,
      }).reason,
    ).toBe('manual-private');
    expect(
      decideRecording({
        number: number([weekdays], { statusMode: 'manual', activeStatus: 'professional' }),
        at: outside,
      }).record,
    ).toBe(true);
  });

  it.each(['112', '100', '101', '+32112', '0032 100', 'tel:112', 'sip:101@ims.example'])(
    'never records a call with emergency number %s',
    other => {
      expect(
        decideRecording({ number: number([weekdays]), at: inSchedule, otherParty: other }),
      ).toMatchObject({ record: false, reason: 'emergency-number' });
    },
  );

  it('records ordinary numbers that merely contain emergency digits', () => {
    expect(
      decideRecording({ number: number([weekdays]), at: inSchedule, otherParty: '+32471001122' })
        .record,
    ).toBe(true);
  });

  it('uses a configured emergency list', () => {
    const n = number([weekdays]);
    expect(
      decideRecording({ number: n, at: inSchedule, otherParty: '911', emergencyNumbers: ['911'] })
        .reason,
    ).toBe('emergency-number');
    expect(
      decideRecording({ number: n, at: inSchedule, otherParty: '112', emergencyNumbers: ['911'] })
        .record,
    ).toBe(true);
  });
});

describe('numberStatusAt', () => {
  it('maps decisions to badges', () => {
    expect(numberStatusAt(number([weekdays]), '2026-01-05T09:00:00Z')).toBe('recording');
    expect(numberStatusAt(number([weekdays]), '2026-01-05T20:00:00Z')).toBe('outside-schedule');
    expect(numberStatusAt(number([weekdays], { mvrActive: false }), '2026-01-05T09:00:00Z')).toBe('inactive');
    expect(
      numberStatusAt(number([weekdays], { statusMode: 'manual', activeStatus: 'private' }), '2026-01-05T09:00:00Z'),
    ).toBe('private');
  });
});
