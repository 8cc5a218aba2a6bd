import { DateTime } from 'luxon';
import {
  conversationsQuery,
  formatHours,
  formatPeriod,
  lastDays,
  presetOf,
  refusedText,
} from './healthText';

const TODAY = DateTime.fromISO('2026-12-06T15:00:00');

describe('Recording health texts', () => {
  it('periods: the last N days include today; presets are recognised, others are chosen days', () => {
    expect(lastDays(7, TODAY)).toEqual({
      from: '2026-11-30',
      to: '2026-12-06',
    });
    expect(lastDays(30, TODAY)).toEqual({
      from: '2026-11-07',
      to: '2026-12-06',
    });
    expect(presetOf(undefined, undefined, TODAY)).toBe(7);
    expect(presetOf('2026-11-07', '2026-12-06', TODAY)).toBe(30);
    expect(presetOf('2026-11-07', '2026-12-05', TODAY)).toBeUndefined();
    expect(formatPeriod('2026-11-30', '2026-12-06')).toBe(
      '30 Nov 2026 – 6 Dec 2026',
    );
    expect(formatPeriod('2026-12-06', '2026-12-06')).toBe('6 Dec 2026');
  });

  it('hours, minutes under an hour, whole hours from 100', () => {
    expect(formatHours(0)).toBe('0 h');
    expect(formatHours(45 * 60)).toBe('45 min');
    expect(formatHours(27.5 * 3600)).toBe('27.5 h');
    expect(formatHours(1234 * 3600)).toBe('1234 h');
  });

  it('refusals with their reasons, most first', () => {
    const figures = {
      expectedSeconds: 0,
      recordedCalls: 0,
      recordedSeconds: 0,
      warningQualityCalls: 0,
      failedQualityCalls: 0,
      refusedCalls: 12,
      refusedByReason: { 'no-capacity': 4, private: 8, error: 0 },
    };
    expect(refusedText(figures)).toBe('12 (private: 8, no-capacity: 4)');
    expect(
      refusedText({ ...figures, refusedCalls: 0, refusedByReason: {} }),
    ).toBe('0');
  });

  it("a number's calls over days: from the first day's midnight to the midnight after the last (the viewer's zone)", () => {
    const params = new URLSearchParams(
      conversationsQuery({
        number: '+32472345678',
        from: '2026-12-01',
        to: '2026-12-03',
        quality: 'failed',
      }),
    );
    expect(Object.fromEntries(params)).toEqual({
      number: '+32472345678',
      from: new Date(2026, 11, 1).toISOString(),
      to: new Date(2026, 11, 4).toISOString(),
      quality: 'failed',
    });
  });
});
