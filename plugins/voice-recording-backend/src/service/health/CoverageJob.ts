import { LoggerService } from '@backstage/backend-plugin-api';
import {
  addCalendarDays,
  calendarDayBounds,
  calendarDayOf,
  calendarDaysBetween,
  expectedRecordingSeconds,
} from '@mvr/plugin-voice-recording-common';
import {
  combineCumulative,
  CoverageDayRow,
  CoverageStore,
  CumulativeFigures,
} from '../../database/CoverageStore';
import { NumberRecord, NumbersStore } from '../../database/NumbersStore';

/**
 * The expected seconds of a number's day from `start` to `end`: from the schedule and
 * status of now for the part after the day's last computation, the earlier part as it
 * was computed then (with the settings of then). So a change of schedule or status
 * applies from the run after it, not to the hours before: the job's runs every few
 * minutes are the history of the settings.
 */
function expectedSince(
  n: NumberRecord,
  earlier: CoverageDayRow | undefined,
  start: number,
  end: number,
): number {
  const computed = earlier ? Date.parse(earlier.computedAt) : NaN;
  if (!earlier || !(computed > start)) {
    return end > start
      ? Math.round(expectedRecordingSeconds(n, start, end))
      : 0;
  }
  // a later computation of the same instant (another instance's clock) changes nothing
  if (computed >= end) return earlier.expectedSeconds;
  return (
    earlier.expectedSeconds +
    Math.round(expectedRecordingSeconds(n, computed, end))
  );
}

function laterOf(a: string | undefined, b: string): string {
  return a && Date.parse(a) > Date.parse(b) ? a : b;
}

export interface CoverageJobOptions {
  store: CoverageStore;
  numbers: NumbersStore;
  /** The time zone of the calendar days. */
  timeZone: string;
  /** How many days back a number without coverage yet is computed (today included). */
  backfillDays: number;
  logger?: LoggerService;
}

/**
 * Computes the coverage rows (vr_recording_coverage). Each run:
 * - closed days a number has not been computed for yet (from its last computed day, at
 *   most `backfillDays` back and not before the number was created), once;
 * - yesterday and today again: today's figures so far (expected seconds until now), and
 *   yesterday's final ones (a call archived after midnight brings its quality verdict
 *   late).
 * There is no history of settings: expected seconds are computed piece by piece, each
 * run adding the time since the day's last computation with the settings of now; a
 * backfilled day is computed whole with today's settings.
 */
export class CoverageJob {
  constructor(private readonly options: CoverageJobOptions) {}

  private async allNumbers(): Promise<NumberRecord[]> {
    const out: NumberRecord[] = [];
    const pageSize = 1000;
    for (let offset = 0; ; offset += pageSize) {
      const { items } = await this.options.numbers.list({
        limit: pageSize,
        offset,
      });
      out.push(...items);
      if (items.length < pageSize) return out;
    }
  }

  /** expectedSince, and 0 (logged) for a number whose settings cannot be evaluated. */
  private expected(
    n: NumberRecord,
    earlier: CoverageDayRow | undefined,
    start: number,
    end: number,
  ): number {
    try {
      return expectedSince(n, earlier, start, end);
    } catch (e) {
      this.options.logger?.warn(
        `recording coverage of ${n.number}: no expected time (${
          e instanceof Error ? e.message : String(e)
        })`,
      );
      return 0;
    }
  }

  /** One run at `now`; returns how many days and rows it computed. */
  async refresh(
    now: Date = new Date(),
  ): Promise<{ days: number; rows: number }> {
    const { store, timeZone, backfillDays } = this.options;
    const today = calendarDayOf(now, timeZone);
    const yesterday = addCalendarDays(today, -1);
    const earliest = addCalendarDays(today, -(backfillDays - 1));
    const numbers = await this.allNumbers();
    const states = await store.numberStates();

    // which numbers each day is computed for
    const byDay = new Map<string, NumberRecord[]>();
    for (const n of numbers) {
      const created = calendarDayOf(n.createdAt, timeZone);
      const through = states.get(n.id)?.computedThrough;
      let first = through ? addCalendarDays(through, 1) : earliest;
      if (first > yesterday) first = yesterday;
      if (first < earliest) first = earliest;
      if (first < created) first = created;
      for (const day of calendarDaysBetween(first, today)) {
        const list = byDay.get(day) ?? [];
        list.push(n);
        byDay.set(day, list);
      }
    }

    // each number's first day computed in this run
    const firstDayOf = new Map<string, string>();
    for (const day of [...byDay.keys()].sort().reverse())
      for (const n of byDay.get(day)!) firstDayOf.set(n.id, day);

    let rows = 0;
    const computedAt = now.toISOString();
    for (const day of [...byDay.keys()].sort()) {
      const bounds = calendarDayBounds(day, timeZone);
      const end = Math.min(bounds.end, now.getTime());
      if (end <= bounds.start) continue;
      const calls = await store.callFigures(
        new Date(bounds.start),
        new Date(end),
      );
      const dayNumbers = byDay.get(day)!;
      // the running sums up to the day before (computed earlier in this run or before)
      const before = await store.cumulativeAtOrBefore(
        addCalendarDays(day, -1),
        dayNumbers.map(n => n.id),
        new Map(
          dayNumbers.map(n => [
            n.id,
            states.get(n.id)?.firstDay ?? firstDayOf.get(n.id),
          ]),
        ),
      );
      // what earlier runs found of the day: its expected seconds until then stand
      const earlier = new Map(
        (await store.rowsOfDay(day)).map(r => [r.numberId, r]),
      );
      const dayRows: CoverageDayRow[] = dayNumbers.map(n => {
        // not expected before the number existed
        const start = Math.max(bounds.start, Date.parse(n.createdAt));
        const f = calls.get(n.id);
        const figures: CumulativeFigures = {
          expectedSeconds: this.expected(n, earlier.get(n.id), start, end),
          recordedCalls: f?.recordedCalls ?? 0,
          recordedSeconds: f?.recordedSeconds ?? 0,
          refusedCalls: f?.refusedCalls ?? 0,
          refusedByReason: f?.refusedByReason ?? {},
          warningQualityCalls: f?.warningQualityCalls ?? 0,
          failedQualityCalls: f?.failedQualityCalls ?? 0,
        };
        return {
          numberId: n.id,
          day,
          number: n.number,
          userRef: n.userRef,
          ...figures,
          ...(f?.lastRecordedCallAt
            ? { lastRecordedCallAt: f.lastRecordedCallAt }
            : {}),
          // never back in time (another instance's clock): the next run goes on from here
          computedAt: laterOf(earlier.get(n.id)?.computedAt, computedAt),
          cumulative: combineCumulative(before.get(n.id)!, figures, 1),
        };
      });
      await store.upsertDays(dayRows);
      rows += dayRows.length;
      // a closed day is done for good: a run stopped later (timeout, restart) goes on
      // from the next day instead of starting the backfill again
      if (day < yesterday)
        await store.saveNumberStates(
          dayNumbers.map(n => ({
            numberId: n.id,
            computedThrough: day,
            firstDay: states.get(n.id)?.firstDay ?? firstDayOf.get(n.id),
          })),
          ['computed_through', 'first_day'],
        );
    }

    // every number is computed through yesterday now, from its first day
    await store.saveNumberStates(
      numbers.map(n => ({
        numberId: n.id,
        computedThrough: yesterday,
        firstDay: states.get(n.id)?.firstDay ?? firstDayOf.get(n.id),
      })),
      ['computed_through', 'first_day'],
    );
    this.options.logger?.debug(
      `recording coverage: ${rows} rows over ${byDay.size} days computed for ${numbers.length} numbers`,
    );
    return { days: byDay.size, rows };
  }
}
