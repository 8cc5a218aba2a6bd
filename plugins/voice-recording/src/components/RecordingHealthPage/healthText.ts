import { DateTime } from 'luxon';
import type {
  CoverageFigures,
  RecordingAlarmKind,
  RecordingAlarmState,
  RecordingAttention,
} from '@mvr/plugin-voice-recording-common';

/** What each alarm kind is called on the page. */
export const ALARM_KIND_LABELS: Record<RecordingAlarmKind, string> = {
  'silent-number': 'Silent number',
  refusals: 'Refused calls',
  'failed-quality': 'Failed quality',
  'idle-recorder': 'Idle recorder',
};

export const ALARM_STATE_LABELS: Record<RecordingAlarmState, string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};

export const ATTENTION_LABELS: Record<RecordingAttention, string> = {
  ok: 'OK',
  warning: 'Warning',
  failed: 'Failed',
};

/** The period presets of the page (days, today included). */
export const PERIOD_PRESETS = [7, 30, 90] as const;

/** `YYYY-MM-DD` of a day in the viewer's zone. */
export function isoDay(dt: DateTime): string {
  return dt.toISODate() ?? '';
}

/** The last `days` calendar days, today included. */
export function lastDays(
  days: number,
  today: DateTime = DateTime.local(),
): { from: string; to: string } {
  return {
    from: isoDay(today.startOf('day').minus({ days: days - 1 })),
    to: isoDay(today.startOf('day')),
  };
}

/** The preset a period is (7, 30, 90), or undefined for another one. */
export function presetOf(
  from: string | undefined,
  to: string | undefined,
  today: DateTime = DateTime.local(),
): number | undefined {
  if (!from && !to) return 7; // the backend's default period
  return PERIOD_PRESETS.find(days => {
    const p = lastDays(days, today);
    return p.from === from && p.to === to;
  });
}

/** `2026-11-01` → `1 Nov 2026`. */
export function formatDay(day: string): string {
  const dt = DateTime.fromISO(day);
  return dt.isValid ? dt.toFormat('d LLL yyyy') : day;
}

/** `1 Nov – 7 Nov 2026` (the same day once). */
export function formatPeriod(from: string, to: string): string {
  return from === to
    ? formatDay(from)
    : `${formatDay(from)} – ${formatDay(to)}`;
}

/** Seconds as hours with one decimal (`27.5 h`), minutes below an hour (`45 min`). */
export function formatHours(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0 h';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = seconds / 3600;
  return `${h >= 100 ? Math.round(h) : h.toFixed(1)} h`;
}

/** The refusals by reason, most first: `private: 8, no-capacity: 4` ('' for none). */
export function refusedReasonsText(figures: CoverageFigures): string {
  return Object.entries(figures.refusedByReason ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ');
}

/** `12 (private: 8, no-capacity: 4)`, or `0`. */
export function refusedText(figures: CoverageFigures): string {
  const reasons = refusedReasonsText(figures);
  return reasons
    ? `${figures.refusedCalls} (${reasons})`
    : String(figures.refusedCalls);
}

/**
 * The conversations page's query for a number's calls over calendar days (the
 * viewer's zone): `from` the first day's midnight, `to` the midnight after the last
 * day (exclusive), plus `quality` when only the failed (or warning) calls are wanted.
 */
export function conversationsQuery(options: {
  number: string;
  from: string;
  to: string;
  quality?: 'failed' | 'warning';
}): string {
  const params = new URLSearchParams();
  params.set('number', options.number);
  const from = DateTime.fromISO(options.from).startOf('day');
  const to = DateTime.fromISO(options.to).startOf('day').plus({ days: 1 });
  if (from.isValid) params.set('from', from.toUTC().toISO()!);
  if (to.isValid) params.set('to', to.toUTC().toISO()!);
  if (options.quality) params.set('quality', options.quality);
  return params.toString();
}
