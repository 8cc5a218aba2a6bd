import {
  addCalendarDays,
  CoverageFigures,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { chunk, toBool, toIso } from './util';

const COVERAGE = 'vr_recording_coverage';
const NUMBERS = 'vr_recording_coverage_numbers';

/** What the recorder did for one number in one time range (calls and refusals). */
export interface CallFigures {
  recordedCalls: number;
  recordedSeconds: number;
  refusedCalls: number;
  refusedByReason: Record<string, number>;
  warningQualityCalls: number;
  failedQualityCalls: number;
  /** ISO 8601 */
  lastRecordedCallAt?: string;
}

/** Figures summed over a number's rows (no last call). */
export type CumulativeFigures = Omit<CallFigures, 'lastRecordedCallAt'> & {
  expectedSeconds: number;
};

/** One stored row: a number's coverage on one day. */
export interface CoverageDayRow extends CallFigures {
  numberId: string;
  /** YYYY-MM-DD */
  day: string;
  number: string;
  userRef: string;
  expectedSeconds: number;
  /** ISO 8601 */
  computedAt: string;
  /** the figures of this row and of every earlier row of the number (see the migration) */
  cumulative?: CumulativeFigures;
}

/** A number's figures summed over a period. */
export interface NumberPeriodFigures extends CoverageFigures {
  numberId: string;
}

export const zeroCumulative = (): CumulativeFigures => ({
  expectedSeconds: 0,
  recordedCalls: 0,
  recordedSeconds: 0,
  refusedCalls: 0,
  refusedByReason: {},
  warningQualityCalls: 0,
  failedQualityCalls: 0,
});

/** `a + sign * b`, figure by figure (refusals by reason too; zero counts dropped). */
export function combineCumulative(
  a: CumulativeFigures,
  b: CumulativeFigures,
  sign: 1 | -1,
): CumulativeFigures {
  const reasons: Record<string, number> = { ...a.refusedByReason };
  for (const [k, v] of Object.entries(b.refusedByReason)) {
    const n = (reasons[k] ?? 0) + sign * v;
    if (n) reasons[k] = n;
    else delete reasons[k];
  }
  return {
    expectedSeconds: a.expectedSeconds + sign * b.expectedSeconds,
    recordedCalls: a.recordedCalls + sign * b.recordedCalls,
    recordedSeconds: a.recordedSeconds + sign * b.recordedSeconds,
    refusedCalls: a.refusedCalls + sign * b.refusedCalls,
    refusedByReason: reasons,
    warningQualityCalls: a.warningQualityCalls + sign * b.warningQualityCalls,
    failedQualityCalls: a.failedQualityCalls + sign * b.failedQualityCalls,
  };
}

function cumulativeFrom(row: any): CumulativeFigures {
  return {
    expectedSeconds: Number(row.cum_expected_seconds),
    recordedCalls: Number(row.cum_recorded_calls),
    recordedSeconds: Number(row.cum_recorded_seconds),
    refusedCalls: Number(row.cum_refused_calls),
    refusedByReason: parseReasons(row.cum_refused_by_reason),
    warningQualityCalls: Number(row.cum_warning_quality_calls),
    failedQualityCalls: Number(row.cum_failed_quality_calls),
  };
}

const CUMULATIVE_COLUMNS = [
  'number_id',
  'day',
  'cum_expected_seconds',
  'cum_recorded_calls',
  'cum_recorded_seconds',
  'cum_refused_calls',
  'cum_refused_by_reason',
  'cum_warning_quality_calls',
  'cum_failed_quality_calls',
];

/** A recorded number as coverage lists it (no schedule). */
export interface CoverageNumberRef {
  id: string;
  number: string;
  userRef: string;
  mvrActive: boolean;
  /** ISO 8601: the last recorded call ever */
  lastRecordedCallAt?: string;
  /** the first day with a coverage row (YYYY-MM-DD) */
  firstDay?: string;
}

/** Where the coverage job goes on from, per number. */
export interface CoverageNumberState {
  numberId: string;
  /** the last closed day computed (YYYY-MM-DD) */
  computedThrough?: string;
  /** the number's first day with a row (YYYY-MM-DD) */
  firstDay?: string;
  /** ISO 8601 */
  lastRecordedCallAt?: string;
}

const emptyCalls = (): CallFigures => ({
  recordedCalls: 0,
  recordedSeconds: 0,
  refusedCalls: 0,
  refusedByReason: {},
  warningQualityCalls: 0,
  failedQualityCalls: 0,
});

function parseReasons(value: unknown): Record<string, number> {
  if (typeof value !== 'string' || !value || value === '{}') return {};
  try {
    const parsed = JSON.parse(value);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed ?? {})) {
      if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

function laterIso(a?: string, b?: string): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function cumulativeColumns(c: CumulativeFigures) {
  return {
    cum_expected_seconds: Math.round(c.expectedSeconds),
    cum_recorded_calls: c.recordedCalls,
    cum_recorded_seconds: c.recordedSeconds,
    cum_refused_calls: c.refusedCalls,
    cum_refused_by_reason: JSON.stringify(c.refusedByReason),
    cum_warning_quality_calls: c.warningQualityCalls,
    cum_failed_quality_calls: c.failedQualityCalls,
  };
}

function dayRowFrom(row: any): CoverageDayRow {
  return {
    numberId: row.number_id,
    day: row.day,
    number: row.number,
    userRef: row.user_ref,
    expectedSeconds: Number(row.expected_seconds),
    recordedCalls: Number(row.recorded_calls),
    recordedSeconds: Number(row.recorded_seconds),
    refusedCalls: Number(row.refused_calls),
    refusedByReason: parseReasons(row.refused_by_reason),
    warningQualityCalls: Number(row.warning_quality_calls),
    failedQualityCalls: Number(row.failed_quality_calls),
    ...(row.last_recorded_call_at
      ? { lastRecordedCallAt: toIso(row.last_recorded_call_at) }
      : {}),
    computedAt: toIso(row.computed_at),
    cumulative: cumulativeFrom(row),
  };
}

/**
 * Recording coverage per recorded number and day (vr_recording_coverage), what the
 * coverage job computes it from (conversations and refused sessions), and the sums the
 * Recording health page and the assurance report read.
 */
export class CoverageStore {
  constructor(private readonly db: Knex) {}

  /**
   * What the recorder did in `[from, to)` per recorded number: conversations that started
   * then (recorded; warning or failed quality; a recording that failed counts as failed)
   * and refused sessions by reason. Numbers without a call or refusal are absent.
   */
  async callFigures(from: Date, to: Date): Promise<Map<string, CallFigures>> {
    const out = new Map<string, CallFigures>();
    const of = (id: string) => {
      let f = out.get(id);
      if (!f) {
        f = emptyCalls();
        out.set(id, f);
      }
      return f;
    };
    const calls = await this.db('vr_conversations')
      .where('started_at', '>=', from)
      .where('started_at', '<', to)
      .whereNotNull('recorded_number_id')
      .groupBy('recorded_number_id')
      .select(
        'recorded_number_id',
        this.db.raw('count(*) as calls'),
        this.db.raw('sum(coalesce(duration_ms, 0)) as ms'),
        this.db.raw(
          "sum(case when quality_verdict = 'warning' then 1 else 0 end) as warning_calls",
        ),
        this.db.raw(
          "sum(case when quality_verdict = 'failed' or state = 'failed' then 1 else 0 end) as failed_calls",
        ),
        this.db.raw('max(started_at) as last_at'),
      );
    for (const r of calls as any[]) {
      const f = of(r.recorded_number_id);
      f.recordedCalls = Number(r.calls);
      f.recordedSeconds = Math.round(Number(r.ms ?? 0) / 1000);
      f.warningQualityCalls = Number(r.warning_calls ?? 0);
      f.failedQualityCalls = Number(r.failed_calls ?? 0);
      if (r.last_at !== null && r.last_at !== undefined)
        f.lastRecordedCallAt = toIso(r.last_at);
    }
    const refused = await this.db('vr_refused_sessions')
      .where('at', '>=', from)
      .where('at', '<', to)
      .whereNotNull('recorded_number_id')
      .groupBy('recorded_number_id', 'reason')
      .select('recorded_number_id', 'reason', this.db.raw('count(*) as n'));
    for (const r of refused as any[]) {
      const f = of(r.recorded_number_id);
      const n = Number(r.n);
      f.refusedCalls += n;
      f.refusedByReason[r.reason] = (f.refusedByReason[r.reason] ?? 0) + n;
    }
    return out;
  }

  /** Writes (inserts or replaces) day rows, and moves each number's last recorded call on. */
  async upsertDays(rows: CoverageDayRow[]): Promise<void> {
    if (!rows.length) return;
    // one transaction (one commit, not one per statement); 20 columns a row: under
    // SQLite's bound-variable limit
    await this.db.transaction(async trx => {
      for (const part of chunk(rows, 40)) {
        await trx(COVERAGE)
          .insert(
            part.map(r => ({
              number_id: r.numberId,
              day: r.day,
              number: r.number,
              user_ref: r.userRef,
              expected_seconds: Math.round(r.expectedSeconds),
              recorded_calls: r.recordedCalls,
              recorded_seconds: r.recordedSeconds,
              refused_calls: r.refusedCalls,
              refused_by_reason: JSON.stringify(r.refusedByReason),
              warning_quality_calls: r.warningQualityCalls,
              failed_quality_calls: r.failedQualityCalls,
              last_recorded_call_at: r.lastRecordedCallAt
                ? new Date(r.lastRecordedCallAt)
                : null,
              computed_at: new Date(r.computedAt),
              ...cumulativeColumns(r.cumulative ?? zeroCumulative()),
            })),
          )
          .onConflict(['number_id', 'day'])
          .merge();
      }
    });
    const last = new Map<string, string>();
    for (const r of rows) {
      const l = laterIso(last.get(r.numberId), r.lastRecordedCallAt);
      if (l) last.set(r.numberId, l);
    }
    if (last.size) {
      const states = await this.numberStates([...last.keys()]);
      await this.saveNumberStates(
        [...last].map(([numberId, at]) => ({
          numberId,
          lastRecordedCallAt: laterIso(
            states.get(numberId)?.lastRecordedCallAt,
            at,
          ),
        })),
        ['last_recorded_call_at'],
      );
    }
  }

  /** The job's state of the given numbers (all numbers when `ids` is not given). */
  async numberStates(
    ids?: string[],
  ): Promise<Map<string, CoverageNumberState>> {
    const rows: any[] = [];
    if (ids) {
      for (const part of chunk(ids, 900))
        rows.push(...(await this.db(NUMBERS).whereIn('number_id', part)));
    } else {
      rows.push(...(await this.db(NUMBERS)));
    }
    return new Map(
      rows.map(r => [
        r.number_id,
        {
          numberId: r.number_id,
          ...(r.computed_through
            ? { computedThrough: r.computed_through }
            : {}),
          ...(r.first_day ? { firstDay: r.first_day } : {}),
          ...(r.last_recorded_call_at
            ? { lastRecordedCallAt: toIso(r.last_recorded_call_at) }
            : {}),
        },
      ]),
    );
  }

  /** Writes the numbers' states; an existing row takes only the `columns` given. */
  async saveNumberStates(
    states: CoverageNumberState[],
    columns: Array<'computed_through' | 'first_day' | 'last_recorded_call_at'>,
  ): Promise<void> {
    await this.db.transaction(async trx => {
      for (const part of chunk(states, 200)) {
        await trx(NUMBERS)
          .insert(
            part.map(s => ({
              number_id: s.numberId,
              computed_through: s.computedThrough ?? null,
              first_day: s.firstDay ?? null,
              last_recorded_call_at: s.lastRecordedCallAt
                ? new Date(s.lastRecordedCallAt)
                : null,
            })),
          )
          .onConflict('number_id')
          .merge(columns);
      }
    });
  }

  /**
   * Every recorded number (id, number, owner, MVR active) with its coverage state (last
   * recorded call ever, first day), by number; or one.
   */
  async currentNumbers(id?: string): Promise<CoverageNumberRef[]> {
    const q = this.db('vr_numbers as n')
      .leftJoin(`${NUMBERS} as s`, 's.number_id', 'n.id')
      .select(
        'n.id',
        'n.number',
        'n.user_ref',
        'n.mvr_active',
        's.last_recorded_call_at',
        's.first_day',
      )
      .orderBy('n.number');
    if (id !== undefined) q.where('n.id', id);
    return (await q).map((r: any) => ({
      id: r.id,
      number: r.number,
      userRef: r.user_ref,
      mvrActive: toBool(r.mvr_active),
      ...(r.last_recorded_call_at
        ? { lastRecordedCallAt: toIso(r.last_recorded_call_at) }
        : {}),
      ...(r.first_day ? { firstDay: r.first_day } : {}),
    }));
  }

  /**
   * Claims the announcement of a day's report: true for the one caller that records it
   * first (the others, and later runs, get false).
   */
  async claimReportNotification(day: string, at: Date): Promise<boolean> {
    const exists = () =>
      this.db('vr_recording_coverage_reports').where({ day }).first('day');
    if (await exists()) return false;
    try {
      await this.db('vr_recording_coverage_reports').insert({
        day,
        notified_at: at,
      });
      return true;
    } catch (e) {
      // another instance claimed it in between (primary key)
      if (await exists()) return false;
      throw e;
    }
  }

  /** Gives a claim back (the announcement failed: a later run tries again). */
  async releaseReportNotification(day: string): Promise<void> {
    await this.db('vr_recording_coverage_reports').where({ day }).delete();
  }

  /** The rows of one number from `from` to `to` (days, inclusive), oldest first. */
  async daysOfNumber(
    numberId: string,
    from: string,
    to: string,
  ): Promise<CoverageDayRow[]> {
    const rows = await this.db(COVERAGE)
      .where('number_id', numberId)
      .where('day', '>=', from)
      .where('day', '<=', to)
      .orderBy('day');
    return rows.map(dayRowFrom);
  }

  /** Every number's row of one day (the assurance report), by number. */
  async rowsOfDay(day: string): Promise<CoverageDayRow[]> {
    const rows = await this.db(COVERAGE).where('day', day).orderBy('number');
    return rows.map(dayRowFrom);
  }

  /**
   * Each number's cumulative figures at its last row on or before `day` (zero for a
   * number without one): one lookup by day, then a per-number lookup for the few
   * numbers without a row that day (not computed yet today, a gap in the job's runs).
   */
  async cumulativeAtOrBefore(
    day: string,
    numberIds: string[],
    firstDays?: Map<string, string | undefined>,
  ): Promise<Map<string, CumulativeFigures>> {
    const out = new Map<string, CumulativeFigures>();
    const wanted = new Set(numberIds);
    const exactQuery = this.db(COVERAGE)
      .where('day', day)
      .select(CUMULATIVE_COLUMNS);
    // a few numbers (one number's page): by their ids; else the whole day
    if (numberIds.length <= 500) exactQuery.whereIn('number_id', numberIds);
    const exact = await exactQuery;
    for (const r of exact as any[])
      if (wanted.has(r.number_id)) out.set(r.number_id, cumulativeFrom(r));
    // without a row that day: those whose rows start later (or that have none) are zero
    const missing = numberIds.filter(id => {
      if (out.has(id)) return false;
      if (!firstDays) return true;
      const first = firstDays.get(id);
      return first !== undefined && first < day;
    });
    for (const ids of chunk(missing, 500)) {
      const latest = this.db(COVERAGE)
        .whereIn('number_id', ids)
        .where('day', '<', day)
        .groupBy('number_id')
        .select('number_id', this.db.raw('max(day) as day'));
      const rows = await this.db(`${COVERAGE} as c`)
        .join(latest.as('m'), b =>
          b.on('c.number_id', '=', 'm.number_id').andOn('c.day', '=', 'm.day'),
        )
        .select(CUMULATIVE_COLUMNS.map(c => `c.${c}`));
      for (const r of rows as any[]) out.set(r.number_id, cumulativeFrom(r));
    }
    for (const id of numberIds) if (!out.has(id)) out.set(id, zeroCumulative());
    return out;
  }

  /**
   * Every recorded number with its state and its figures summed from `from` to `to`, in
   * one query (the numbers joined with their rows at `to` and the day before `from`, by
   * primary key); the few numbers without one of those rows are looked up after.
   */
  async numbersWithPeriodFigures(
    from: string,
    to: string,
  ): Promise<{
    numbers: CoverageNumberRef[];
    figures: Map<string, NumberPeriodFigures>;
  }> {
    const before = addCalendarDays(from, -1);
    const cum = (alias: string) =>
      CUMULATIVE_COLUMNS.filter(c => c.startsWith('cum_')).map(
        c => `${alias}.${c} as ${alias}_${c}`,
      );
    const rows: any[] = await this.db('vr_numbers as n')
      .leftJoin(`${NUMBERS} as s`, 's.number_id', 'n.id')
      .leftJoin(`${COVERAGE} as e`, b =>
        b
          .on('e.number_id', '=', 'n.id')
          .andOn('e.day', '=', this.db.raw('?', [to])),
      )
      .leftJoin(`${COVERAGE} as b`, b =>
        b
          .on('b.number_id', '=', 'n.id')
          .andOn('b.day', '=', this.db.raw('?', [before])),
      )
      .select(
        'n.id',
        'n.number',
        'n.user_ref',
        'n.mvr_active',
        's.last_recorded_call_at',
        's.first_day',
        'e.day as e_day',
        'b.day as b_day',
        ...cum('e'),
        ...cum('b'),
      )
      .orderBy('n.number');
    const numbers: CoverageNumberRef[] = [];
    const end = new Map<string, CumulativeFigures>();
    const start = new Map<string, CumulativeFigures>();
    const unprefixed = (r: any, alias: string) => {
      const o: any = {};
      for (const c of CUMULATIVE_COLUMNS)
        if (c.startsWith('cum_')) o[c] = r[`${alias}_${c}`];
      return cumulativeFrom(o);
    };
    const needEnd: string[] = [];
    const needStart: string[] = [];
    for (const r of rows) {
      const firstDay: string | undefined = r.first_day ?? undefined;
      numbers.push({
        id: r.id,
        number: r.number,
        userRef: r.user_ref,
        mvrActive: toBool(r.mvr_active),
        ...(r.last_recorded_call_at
          ? { lastRecordedCallAt: toIso(r.last_recorded_call_at) }
          : {}),
        ...(firstDay ? { firstDay } : {}),
      });
      if (r.e_day) end.set(r.id, unprefixed(r, 'e'));
      else if (firstDay && firstDay < to) needEnd.push(r.id);
      else end.set(r.id, zeroCumulative());
      if (r.b_day) start.set(r.id, unprefixed(r, 'b'));
      else if (firstDay && firstDay < before) needStart.push(r.id);
      else start.set(r.id, zeroCumulative());
    }
    if (needEnd.length)
      for (const [id, c] of await this.cumulativeAtOrBefore(to, needEnd))
        end.set(id, c);
    if (needStart.length)
      for (const [id, c] of await this.cumulativeAtOrBefore(before, needStart))
        start.set(id, c);
    const figures = new Map<string, NumberPeriodFigures>();
    for (const n of numbers)
      figures.set(n.id, {
        numberId: n.id,
        ...combineCumulative(end.get(n.id)!, start.get(n.id)!, -1),
      });
    return { numbers, figures };
  }

  /**
   * Per number, the figures summed from `from` to `to` (days, inclusive): the difference
   * of its cumulative figures at `to` and the day before `from`, two rows a number
   * whatever the period's length (the last recorded call ever is in {@link numberStates}).
   */
  async periodFigures(
    from: string,
    to: string,
    numberIds: string[],
    firstDays?: Map<string, string | undefined>,
  ): Promise<Map<string, NumberPeriodFigures>> {
    const [end, start] = await Promise.all([
      this.cumulativeAtOrBefore(to, numberIds, firstDays),
      this.cumulativeAtOrBefore(
        addCalendarDays(from, -1),
        numberIds,
        firstDays,
      ),
    ]);
    const out = new Map<string, NumberPeriodFigures>();
    for (const id of numberIds) {
      out.set(id, {
        numberId: id,
        ...combineCumulative(end.get(id)!, start.get(id)!, -1),
      });
    }
    return out;
  }
}
