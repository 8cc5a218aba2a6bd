import { CoverageFigures } from '@mvr/plugin-voice-recording-common';
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
}

/** A number's figures summed over a period. */
export interface NumberPeriodFigures extends CoverageFigures {
  numberId: string;
  /** days of the period with a row */
  days: number;
}

/** A recorded number as coverage lists it (no schedule). */
export interface CoverageNumberRef {
  id: string;
  number: string;
  userRef: string;
  mvrActive: boolean;
}

/** Where the coverage job goes on from, per number. */
export interface CoverageNumberState {
  numberId: string;
  /** the last closed day computed (YYYY-MM-DD) */
  computedThrough?: string;
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
  if (typeof value !== 'string' || !value) return {};
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
    // 13 columns a row: under SQLite's bound-variable limit
    for (const part of chunk(rows, 60)) {
      await this.db(COVERAGE)
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
          })),
        )
        .onConflict(['number_id', 'day'])
        .merge();
    }
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
          computedThrough: states.get(numberId)?.computedThrough,
          lastRecordedCallAt: laterIso(
            states.get(numberId)?.lastRecordedCallAt,
            at,
          ),
        })),
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
          ...(r.last_recorded_call_at
            ? { lastRecordedCallAt: toIso(r.last_recorded_call_at) }
            : {}),
        },
      ]),
    );
  }

  async saveNumberStates(states: CoverageNumberState[]): Promise<void> {
    for (const part of chunk(states, 250)) {
      await this.db(NUMBERS)
        .insert(
          part.map(s => ({
            number_id: s.numberId,
            computed_through: s.computedThrough ?? null,
            last_recorded_call_at: s.lastRecordedCallAt
              ? new Date(s.lastRecordedCallAt)
              : null,
          })),
        )
        .onConflict('number_id')
        .merge();
    }
  }

  /** Every recorded number (id, number, owner, MVR active), by number; or one. */
  async currentNumbers(id?: string): Promise<CoverageNumberRef[]> {
    const q = this.db('vr_numbers')
      .select('id', 'number', 'user_ref', 'mvr_active')
      .orderBy('number');
    if (id !== undefined) q.where('id', id);
    return (await q).map((r: any) => ({
      id: r.id,
      number: r.number,
      userRef: r.user_ref,
      mvrActive: toBool(r.mvr_active),
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
   * Per number, the figures summed from `from` to `to` (days, inclusive); one query over
   * the period's rows (the last recorded call ever is in {@link numberStates}).
   */
  async periodFigures(
    from: string,
    to: string,
    numberIds?: string[],
  ): Promise<Map<string, NumberPeriodFigures>> {
    const q = this.db(COVERAGE)
      .where('day', '>=', from)
      .where('day', '<=', to)
      .groupBy('number_id')
      .select(
        'number_id',
        this.db.raw('count(*) as days'),
        this.db.raw('sum(expected_seconds) as expected_seconds'),
        this.db.raw('sum(recorded_calls) as recorded_calls'),
        this.db.raw('sum(recorded_seconds) as recorded_seconds'),
        this.db.raw('sum(refused_calls) as refused_calls'),
        this.db.raw('sum(warning_quality_calls) as warning_quality_calls'),
        this.db.raw('sum(failed_quality_calls) as failed_quality_calls'),
      );
    if (numberIds) q.whereIn('number_id', numberIds);
    const out = new Map<string, NumberPeriodFigures>();
    for (const r of (await q) as any[]) {
      out.set(r.number_id, {
        numberId: r.number_id,
        days: Number(r.days),
        expectedSeconds: Number(r.expected_seconds ?? 0),
        recordedCalls: Number(r.recorded_calls ?? 0),
        recordedSeconds: Number(r.recorded_seconds ?? 0),
        refusedCalls: Number(r.refused_calls ?? 0),
        refusedByReason: {},
        warningQualityCalls: Number(r.warning_quality_calls ?? 0),
        failedQualityCalls: Number(r.failed_quality_calls ?? 0),
      });
    }
    // refusals by reason: only the rows that have any (few), summed here
    const reasons = this.db(COVERAGE)
      .where('day', '>=', from)
      .where('day', '<=', to)
      .where('refused_calls', '>', 0)
      .select('number_id', 'refused_by_reason');
    if (numberIds) reasons.whereIn('number_id', numberIds);
    for (const r of (await reasons) as any[]) {
      const f = out.get(r.number_id);
      if (!f) continue;
      for (const [reason, n] of Object.entries(
        parseReasons(r.refused_by_reason),
      ))
        f.refusedByReason[reason] = (f.refusedByReason[reason] ?? 0) + n;
    }
    return out;
  }
}
