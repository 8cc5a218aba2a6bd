import { isCalendarDay } from '@mvr/plugin-voice-recording-common';
import { DateTime } from 'luxon';
import { z } from 'zod';

/** The longest period the Recording health routes sum over, in days. */
export const MAX_PERIOD_DAYS = 366;

const day = z.string().refine(isCalendarDay, {
  message: 'must be a calendar day YYYY-MM-DD',
});

const periodShape = {
  from: day.optional(),
  to: day.optional(),
};

function checkPeriod(v: { from?: string; to?: string }, ctx: z.RefinementCtx) {
  if (v.from && v.to && v.from > v.to) {
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `must not be before from (${v.from})`,
    });
    return;
  }
  if (v.from && v.to) {
    const days =
      DateTime.fromISO(v.to, { zone: 'UTC' }).diff(
        DateTime.fromISO(v.from, { zone: 'UTC' }),
        'days',
      ).days + 1;
    if (days > MAX_PERIOD_DAYS)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `the period is ${days} days; at most ${MAX_PERIOD_DAYS}`,
      });
  }
}

/** `GET /health/summary` and `GET /health/numbers/:id`: a period of days. */
export const healthPeriodSchema = z
  .object(periodShape)
  .superRefine(checkPeriod);

/** `GET /health/numbers`: period, filters and page. */
export const healthNumbersQuerySchema = z
  .object({
    ...periodShape,
    /** a group name or ref: the numbers of its members (and its child groups') */
    group: z.string().trim().min(1).max(200).optional(),
    /** ok, warning, failed, or needed (warning or failed) */
    attention: z.enum(['ok', 'warning', 'failed', 'needed']).optional(),
    /** a substring of the number or of the owner's ref */
    q: z.string().trim().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .superRefine(checkPeriod);

/** `GET /health/report`: one day (default: yesterday, the last complete day), CSV or HTML. */
export const healthReportQuerySchema = z.object({
  day: day.optional(),
  format: z.enum(['csv', 'html']).default('html'),
});
