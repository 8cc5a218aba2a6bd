import { DateTime } from 'luxon';

/** `14:05` today, `6 Dec, 14:05` another day. */
export function timeText(iso: string, now: Date = new Date()): string {
  const t = DateTime.fromISO(iso);
  return t.hasSame(DateTime.fromJSDate(now), 'day')
    ? t.toLocaleString(DateTime.TIME_SIMPLE)
    : t.toLocaleString(DateTime.DATETIME_MED);
}

/** `45 minutes left`, `1 minute left`, `less than a minute left`. */
export function timeLeftText(
  expiresAt: string,
  now: Date = new Date(),
): string {
  const minutes = Math.floor((Date.parse(expiresAt) - now.getTime()) / 60_000);
  if (minutes < 1) return 'less than a minute left';
  return `${minutes} minute${minutes === 1 ? '' : 's'} left`;
}
