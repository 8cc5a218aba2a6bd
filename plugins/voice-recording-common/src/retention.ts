/**
 * Retention periods (docs/retention.md): ISO 8601 durations in years, months and days,
 * shared by the backend (validation, SQL) and the portal (the policy dialog).
 */

/** A parsed retention period. */
export interface RetentionPeriod {
  years: number;
  months: number;
  days: number;
}

const PERIOD = /^P(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,5})D)?$/;

/** Longest period accepted (a policy beyond a century is a typo). */
export const MAX_RETENTION_DAYS = 100 * 366;

/**
 * `P5Y`, `P7Y`, `P1Y6M`, `P90D` -> its parts; an error message (for a 400 naming the
 * field) when it is not a positive period of years, months and days.
 */
export function parseRetentionPeriod(
  text: string,
): { ok: true; period: RetentionPeriod } | { ok: false; message: string } {
  const m = PERIOD.exec(
    String(text ?? '')
      .trim()
      .toUpperCase(),
  );
  if (!m || (!m[1] && !m[2] && !m[3]))
    return {
      ok: false,
      message: `"${String(text ?? '').slice(
        0,
        40,
      )}" is not an ISO 8601 period of years, months and days (e.g. P5Y, P7Y, P1Y6M)`,
    };
  const period = {
    years: Number(m[1] ?? 0),
    months: Number(m[2] ?? 0),
    days: Number(m[3] ?? 0),
  };
  const days = retentionPeriodDays(period);
  if (days <= 0) return { ok: false, message: 'must be longer than zero' };
  if (days > MAX_RETENTION_DAYS)
    return { ok: false, message: 'must be at most 100 years' };
  return { ok: true, period };
}

/** The canonical text of a period (`P1Y6M`). */
export function formatRetentionPeriod(p: RetentionPeriod): string {
  return `P${p.years ? `${p.years}Y` : ''}${p.months ? `${p.months}M` : ''}${
    p.days ? `${p.days}D` : ''
  }`;
}

/**
 * A period's average length in days (a year of 365.2425 days, a month of a twelfth of
 * it): how policies are ordered when the longest applicable one wins.
 */
export function retentionPeriodDays(p: RetentionPeriod): number {
  return p.years * 365.2425 + p.months * (365.2425 / 12) + p.days;
}

/** `P7Y` -> `7 years`, `P1Y6M` -> `1 year 6 months`. */
export function describeRetentionPeriod(text: string): string {
  const r = parseRetentionPeriod(text);
  if (!r.ok) return text;
  const part = (n: number, unit: string) =>
    n ? `${n} ${unit}${n === 1 ? '' : 's'}` : '';
  return [
    part(r.period.years, 'year'),
    part(r.period.months, 'month'),
    part(r.period.days, 'day'),
  ]
    .filter(Boolean)
    .join(' ');
}

/** The retention end of a call that ended at `end` (calendar arithmetic, UTC). */
export function addRetentionPeriod(end: Date, p: RetentionPeriod): Date {
  const d = new Date(end.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCFullYear(d.getUTCFullYear() + p.years);
  d.setUTCMonth(d.getUTCMonth() + p.months);
  // the same day of the month, or the month's last day (as PostgreSQL does)
  const last = new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0),
  ).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  d.setUTCDate(d.getUTCDate() + p.days);
  return d;
}
