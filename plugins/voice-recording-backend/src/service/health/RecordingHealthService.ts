import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  addCalendarDays,
  calendarDayBounds,
  calendarDayOf,
  calendarDaysBetween,
  CoverageDay,
  CoverageFigures,
  GroupCoverage,
  NumberCoverage,
  NumberCoverageDetail,
  NumberCoverageList,
  RecordingAlarm,
  RecordingAttention,
  RecordingHealthSummary,
} from '@mvr/plugin-voice-recording-common';
import {
  CoverageNumberRef,
  CoverageStore,
  NumberPeriodFigures,
} from '../../database/CoverageStore';
import { AssuranceReport, buildAssuranceReport } from './assuranceReport';
import {
  addFigures,
  attentionOf,
  dayOf,
  emptyFigures,
  sortByAttention,
} from './coverageFigures';
import { OwnerGroups, UserDirectoryEntry } from './OwnerGroups';

/**
 * What Recording health reads of the alarms (RecordingAlarmsStore): the unresolved ones,
 * a number's over a period, and all of them page by page (the report).
 */
export interface HealthAlarms {
  unresolved(): Promise<RecordingAlarm[]>;
  alarmsOfNumber(
    numberId: string,
    from: Date,
    to: Date,
  ): Promise<RecordingAlarm[]>;
  list(q: {
    limit?: number;
    offset?: number;
  }): Promise<{ items: RecordingAlarm[]; totalCount: number }>;
}

export interface RecordingHealthServiceOptions {
  coverage: CoverageStore;
  ownerGroups: OwnerGroups;
  /** The members of a group (and its child groups); 400 when the catalog has no such group. */
  groupMembers: (
    group: string,
    credentials: BackstageCredentials,
  ) => Promise<string[]>;
  /** The alarms (issue 19); without them attention comes from the figures alone. */
  alarms?: HealthAlarms;
  /** The time zone of the calendar days. */
  timeZone: string;
  now?: () => Date;
}

export interface Period {
  from: string;
  to: string;
}

export type AttentionFilter = RecordingAttention | 'needed';

export interface NumberListQuery {
  from?: string;
  to?: string;
  group?: string;
  attention?: AttentionFilter;
  q?: string;
  limit: number;
  offset: number;
}

/**
 * Recording health: coverage per number, per group and overall over a period of days,
 * the numbers that need attention first, one number per day. Reads the rows of the
 * coverage job; the unresolved alarms come from the alarms store when there is one.
 */
export class RecordingHealthService {
  constructor(private readonly options: RecordingHealthServiceOptions) {}

  get timeZone(): string {
    return this.options.timeZone;
  }

  /** The service's clock (tests pin it). */
  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  today(): string {
    return calendarDayOf(this.now(), this.options.timeZone);
  }

  /** The period asked, the last 7 days including today by default. */
  period(from?: string, to?: string): Period {
    const end = to ?? this.today();
    return { from: from ?? addCalendarDays(end, -6), to: end };
  }

  /** `[start, end)` instants of a period of days. */
  bounds(p: Period): { start: Date; end: Date } {
    return {
      start: new Date(calendarDayBounds(p.from, this.options.timeZone).start),
      end: new Date(calendarDayBounds(p.to, this.options.timeZone).end),
    };
  }

  private async unresolvedByNumber(): Promise<{
    all: RecordingAlarm[];
    byNumber: Map<string, RecordingAlarm[]>;
  }> {
    const all = this.options.alarms
      ? await this.options.alarms.unresolved()
      : [];
    const byNumber = new Map<string, RecordingAlarm[]>();
    for (const a of all) {
      if (!a.numberId) continue;
      const list = byNumber.get(a.numberId) ?? [];
      list.push(a);
      byNumber.set(a.numberId, list);
    }
    return { all, byNumber };
  }

  private coverageOf(
    n: CoverageNumberRef,
    figures: NumberPeriodFigures | undefined,
    lastRecordedCallAt: string | undefined,
    directory: Map<string, UserDirectoryEntry>,
    alarms: RecordingAlarm[],
  ): NumberCoverage {
    const f: CoverageFigures = {
      expectedSeconds: figures?.expectedSeconds ?? 0,
      recordedCalls: figures?.recordedCalls ?? 0,
      recordedSeconds: figures?.recordedSeconds ?? 0,
      refusedCalls: figures?.refusedCalls ?? 0,
      refusedByReason: figures?.refusedByReason ?? {},
      warningQualityCalls: figures?.warningQualityCalls ?? 0,
      failedQualityCalls: figures?.failedQualityCalls ?? 0,
      ...(lastRecordedCallAt ? { lastRecordedCallAt } : {}),
    };
    return {
      numberId: n.id,
      number: n.number,
      ownerRef: n.userRef,
      groupRefs: directory.get(n.userRef.toLowerCase())?.groups ?? [],
      active: n.mvrActive,
      ...f,
      attention: attentionOf(f, alarms),
      openAlarms: alarms,
    };
  }

  /** Every current number's coverage over the period, in no particular order. */
  private async allCoverage(
    p: Period,
    credentials: BackstageCredentials,
  ): Promise<{ items: NumberCoverage[]; unresolved: RecordingAlarm[] }> {
    const { coverage, ownerGroups } = this.options;
    const [{ numbers, figures }, directory, alarms] = await Promise.all([
      coverage.numbersWithPeriodFigures(p.from, p.to),
      ownerGroups.directory(credentials),
      this.unresolvedByNumber(),
    ]);
    return {
      items: numbers.map(n =>
        this.coverageOf(
          n,
          figures.get(n.id),
          n.lastRecordedCallAt,
          directory,
          alarms.byNumber.get(n.id) ?? [],
        ),
      ),
      unresolved: alarms.all,
    };
  }

  async summary(
    p: Period,
    credentials: BackstageCredentials,
  ): Promise<RecordingHealthSummary> {
    const { items, unresolved } = await this.allCoverage(p, credentials);
    const overall = {
      ...emptyFigures(),
      numbers: 0,
      numbersNeedingAttention: 0,
      openAlarms: unresolved.length,
    };
    const groups = new Map<string, GroupCoverage>();
    for (const n of items) {
      const needs = n.attention !== 'ok' ? 1 : 0;
      addFigures(overall, n);
      overall.numbers += 1;
      overall.numbersNeedingAttention += needs;
      for (const g of n.groupRefs ?? []) {
        let group = groups.get(g);
        if (!group) {
          group = {
            groupRef: g,
            ...emptyFigures(),
            numbers: 0,
            numbersNeedingAttention: 0,
          };
          groups.set(g, group);
        }
        addFigures(group, n);
        group.numbers += 1;
        group.numbersNeedingAttention += needs;
      }
    }
    return {
      from: p.from,
      to: p.to,
      overall,
      groups: [...groups.values()].sort(
        (a, b) =>
          b.numbersNeedingAttention - a.numbersNeedingAttention ||
          a.groupRef.localeCompare(b.groupRef),
      ),
    };
  }

  async list(
    query: NumberListQuery,
    credentials: BackstageCredentials,
  ): Promise<NumberCoverageList> {
    const p = this.period(query.from, query.to);
    const members = query.group
      ? new Set(
          (await this.options.groupMembers(query.group, credentials)).map(r =>
            r.toLowerCase(),
          ),
        )
      : undefined;
    let { items } = await this.allCoverage(p, credentials);
    if (members)
      items = items.filter(n => members.has((n.ownerRef ?? '').toLowerCase()));
    if (query.attention) {
      const want = query.attention;
      items = items.filter(n =>
        want === 'needed' ? n.attention !== 'ok' : n.attention === want,
      );
    }
    if (query.q) {
      const needle = query.q.toLowerCase();
      const digits = needle.replace(/\D/g, '');
      items = items.filter(
        n =>
          n.number.toLowerCase().includes(needle) ||
          (digits.length > 0 && n.number.replace(/\D/g, '').includes(digits)) ||
          (n.ownerRef ?? '').toLowerCase().includes(needle),
      );
    }
    items = sortByAttention(items);
    return {
      items: items.slice(query.offset, query.offset + query.limit),
      totalCount: items.length,
      from: p.from,
      to: p.to,
    };
  }

  async detail(
    id: string,
    p: Period,
    credentials: BackstageCredentials,
  ): Promise<NumberCoverageDetail> {
    const { coverage, ownerGroups, alarms } = this.options;
    const [n] = /^[0-9A-Za-z-]{1,36}$/.test(id)
      ? await coverage.currentNumbers(id)
      : [];
    if (!n) throw new NotFoundError(`no recorded number ${id}`);
    const b = this.bounds(p);
    const [figures, directory, rows, open, periodAlarms] = await Promise.all([
      coverage.periodFigures(p.from, p.to, [id]),
      ownerGroups.directory(credentials),
      coverage.daysOfNumber(id, p.from, p.to),
      this.unresolvedByNumber(),
      alarms ? alarms.alarmsOfNumber(id, b.start, b.end) : Promise.resolve([]),
    ]);
    const byDay = new Map(rows.map(r => [r.day, r]));
    const today = this.today();
    const days: CoverageDay[] = calendarDaysBetween(
      p.from,
      p.to < today ? p.to : today,
    ).map(day => {
      const r = byDay.get(day);
      return r ? dayOf(r) : { day, ...emptyFigures() };
    });
    return {
      coverage: this.coverageOf(
        n,
        figures.get(id),
        n.lastRecordedCallAt,
        directory,
        open.byNumber.get(id) ?? [],
      ),
      days,
      alarms: periodAlarms,
    };
  }

  /** The assurance report of a day (owner display names by user ref, when known). */
  async report(
    day: string,
    ownerNames: Map<string, string> = new Map(),
  ): Promise<AssuranceReport> {
    const b = this.bounds({ from: day, to: day });
    const [rows, alarms] = await Promise.all([
      this.options.coverage.rowsOfDay(day),
      this.alarmsDuring(b.start, b.end),
    ]);
    return buildAssuranceReport({
      day,
      timeZone: this.options.timeZone,
      now: this.now(),
      rows,
      alarms,
      ownerNames,
    });
  }

  /**
   * The alarms that were unresolved at some time during `[start, end)` (raised before its
   * end, not resolved before its start), most severe and newest first.
   */
  async alarmsDuring(start: Date, end: Date): Promise<RecordingAlarm[]> {
    const { alarms } = this.options;
    if (!alarms) return [];
    const out: RecordingAlarm[] = [];
    const pageSize = 500;
    for (let offset = 0; ; offset += pageSize) {
      const { items } = await alarms.list({ limit: pageSize, offset });
      out.push(
        ...items.filter(
          a =>
            Date.parse(a.raisedAt) < end.getTime() &&
            (!a.resolvedAt || Date.parse(a.resolvedAt) >= start.getTime()),
        ),
      );
      if (items.length < pageSize) break;
    }
    return out;
  }
}
