import { randomUUID } from 'node:crypto';
import {
  RecordingAlarm,
  RecordingAlarmKind,
  RecordingAlarmState,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { chunk, SQL_VARIABLE_LIMIT, toIso } from './util';

const ALARMS = 'vr_recording_alarms';

/** A problem the evaluation found, to raise (or keep raised). */
export interface AlarmFinding {
  kind: RecordingAlarmKind;
  severity: 'warning' | 'failed';
  /** the recorded number (all kinds but idle-recorder) */
  numberId?: string;
  /** the number in E.164, kept with the alarm */
  number?: string;
  /** the recorder instance (idle-recorder) */
  recorderInstance?: string;
  summary: string;
  figures?: Record<string, number | string>;
}

/** What `raise` did. */
export type RaiseOutcome =
  /** a new alarm: nothing unresolved of the same kind and subject */
  | 'raised'
  /** an unresolved alarm whose last raise is older than the re-raise interval */
  | 'reraised'
  /** an unresolved alarm raised recently (or acknowledged): figures updated only */
  | 'unchanged';

export interface AlarmListQuery {
  state?: RecordingAlarmState[];
  kind?: RecordingAlarmKind[];
  numberId?: string;
  limit?: number;
  offset?: number;
}

/** The subject of an alarm: its number's id, or its recorder instance. */
export function alarmSubject(f: {
  numberId?: string;
  recorderInstance?: string;
}): string {
  const s = f.numberId ?? f.recorderInstance;
  if (!s) throw new Error('a recording alarm needs a number or a recorder');
  return s;
}

function parseFigures(v: unknown): Record<string, number | string> | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    const o = JSON.parse(v);
    return o && typeof o === 'object' ? o : undefined;
  } catch {
    return undefined;
  }
}

function alarmFromRow(r: any): RecordingAlarm {
  const figures = parseFigures(r.figures);
  const number = r.current_number ?? r.number;
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    severity: r.severity,
    ...(r.recorded_number_id ? { numberId: r.recorded_number_id } : {}),
    ...(number ? { number } : {}),
    ...(r.owner_ref ? { ownerRef: r.owner_ref } : {}),
    ...(r.recorder_instance ? { recorderInstance: r.recorder_instance } : {}),
    summary: r.summary,
    ...(figures ? { figures } : {}),
    raisedAt: toIso(r.raised_at),
    lastRaisedAt: toIso(r.last_raised_at),
    ...(r.resolved_at ? { resolvedAt: toIso(r.resolved_at) } : {}),
    ...(r.acknowledged_at ? { acknowledgedAt: toIso(r.acknowledged_at) } : {}),
    ...(r.acknowledged_by ? { acknowledgedBy: r.acknowledged_by } : {}),
    ...(r.acknowledge_comment
      ? { acknowledgeComment: r.acknowledge_comment }
      : {}),
  };
}

function isUniqueViolation(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /unique|duplicate/i.test(m);
}

/**
 * Recording alarms (vr_recording_alarms): one unresolved alarm per kind and subject
 * (a number or a recorder instance), enforced by the unique `open_key`. Every change
 * is a conditional update, so two backend instances evaluating at once never raise,
 * re-raise or resolve the same alarm twice: the caller notifies and audits only what
 * its own call changed.
 */
export class RecordingAlarmsStore {
  constructor(private readonly db: Knex) {}

  /** Alarms with the number and its owner as they are now (the row's number otherwise). */
  private select() {
    return this.db(`${ALARMS} as a`)
      .leftJoin('vr_numbers as n', 'n.id', 'a.recorded_number_id')
      .select('a.*', { current_number: 'n.number', owner_ref: 'n.user_ref' });
  }

  async get(id: string): Promise<RecordingAlarm | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const r = await this.select().where('a.id', id).first();
    return r ? alarmFromRow(r) : undefined;
  }

  /** Every unresolved alarm (open or acknowledged), of one kind when given. */
  async unresolved(kind?: RecordingAlarmKind): Promise<RecordingAlarm[]> {
    const q = this.select().whereNotNull('a.open_key');
    if (kind) q.where('a.kind', kind);
    return (await q.orderBy('a.raised_at').orderBy('a.id')).map(alarmFromRow);
  }

  /** The unresolved alarms of each number (numbers without any are absent). */
  async openAlarmsOf(
    numberIds: string[],
  ): Promise<Map<string, RecordingAlarm[]>> {
    const out = new Map<string, RecordingAlarm[]>();
    for (const ids of chunk([...new Set(numberIds)], SQL_VARIABLE_LIMIT)) {
      const rows = await this.select()
        .whereNotNull('a.open_key')
        .whereIn('a.recorded_number_id', ids)
        .orderBy('a.raised_at')
        .orderBy('a.id');
      for (const r of rows) {
        const a = alarmFromRow(r);
        const list = out.get(a.numberId!) ?? [];
        list.push(a);
        out.set(a.numberId!, list);
      }
    }
    return out;
  }

  /**
   * Alarms by state, kind and number: unresolved first (open, then acknowledged), the
   * most severe first, then the newest.
   */
  async list(
    q: AlarmListQuery,
  ): Promise<{ items: RecordingAlarm[]; totalCount: number }> {
    const where = (b: Knex.QueryBuilder) => {
      if (q.state?.length) b.whereIn('a.state', q.state);
      if (q.kind?.length) b.whereIn('a.kind', q.kind);
      if (q.numberId) b.where('a.recorded_number_id', q.numberId);
      return b;
    };
    const [{ count }] = await where(this.db(`${ALARMS} as a`)).count({
      count: '*',
    });
    const rows = await where(this.select())
      .orderByRaw(
        "CASE a.state WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END",
      )
      .orderByRaw("CASE a.severity WHEN 'failed' THEN 0 ELSE 1 END")
      .orderBy('a.raised_at', 'desc')
      .orderBy('a.id')
      .limit(q.limit ?? 50)
      .offset(q.offset ?? 0);
    return { items: rows.map(alarmFromRow), totalCount: Number(count) };
  }

  /** The alarms of a number that were unresolved at some time in [from, to), newest first. */
  async alarmsOfNumber(
    numberId: string,
    from: Date,
    to: Date,
  ): Promise<RecordingAlarm[]> {
    const rows = await this.select()
      .where('a.recorded_number_id', numberId)
      .where('a.raised_at', '<', to)
      .where(b =>
        b.whereNull('a.resolved_at').orWhere('a.resolved_at', '>=', from),
      )
      .orderBy('a.raised_at', 'desc')
      .orderBy('a.id');
    return rows.map(alarmFromRow);
  }

  /**
   * Raises a finding: a new alarm when none of its kind and subject is unresolved;
   * otherwise the unresolved one takes the new figures, and is re-raised (its
   * `last_raised_at` moves to `now`) when it is open and was last raised
   * `reRaiseAfterMs` ago or more. An acknowledged alarm is not re-raised: an admin has
   * taken it.
   */
  async raise(
    f: AlarmFinding,
    now: Date,
    reRaiseAfterMs: number,
  ): Promise<{ alarm: RecordingAlarm; outcome: RaiseOutcome }> {
    const subject = alarmSubject(f);
    const openKey = `${f.kind}:${subject}`;
    const figures = f.figures ? JSON.stringify(f.figures) : null;
    const existing = await this.db(ALARMS).where({ open_key: openKey }).first();
    if (!existing) {
      const id = randomUUID();
      try {
        await this.db(ALARMS).insert({
          id,
          kind: f.kind,
          subject,
          recorded_number_id: f.numberId ?? null,
          number: f.number ?? null,
          recorder_instance: f.recorderInstance ?? null,
          state: 'open',
          severity: f.severity,
          summary: f.summary,
          figures,
          raised_at: now,
          last_raised_at: now,
          open_key: openKey,
        });
        return { alarm: (await this.get(id))!, outcome: 'raised' };
      } catch (e) {
        // another instance raised it meanwhile: theirs to notify
        if (!isUniqueViolation(e)) throw e;
        const theirs = await this.db(ALARMS)
          .where({ open_key: openKey })
          .first('id');
        if (!theirs) throw e;
        return { alarm: (await this.get(theirs.id))!, outcome: 'unchanged' };
      }
    }
    // written only when they changed: most evaluations find the same figures
    if (
      existing.severity !== f.severity ||
      existing.summary !== f.summary ||
      (existing.figures ?? null) !== figures ||
      (f.number && existing.number !== f.number)
    )
      await this.db(ALARMS)
        .where({ id: existing.id })
        .update({
          severity: f.severity,
          summary: f.summary,
          figures,
          ...(f.number ? { number: f.number } : {}),
        });
    let outcome: RaiseOutcome = 'unchanged';
    const due = new Date(now.getTime() - reRaiseAfterMs);
    if (existing.state === 'open') {
      const n = await this.db(ALARMS)
        .where({ id: existing.id, state: 'open' })
        .where('last_raised_at', '<=', due)
        .update({ last_raised_at: now });
      if (n) outcome = 'reraised';
    }
    return { alarm: (await this.get(existing.id))!, outcome };
  }

  /** Resolves an unresolved alarm; the alarm resolved, undefined if it was not unresolved. */
  async resolve(id: string, now: Date): Promise<RecordingAlarm | undefined> {
    const n = await this.db(ALARMS)
      .where({ id })
      .whereNotNull('open_key')
      .update({ state: 'resolved', resolved_at: now, open_key: null });
    return n ? this.get(id) : undefined;
  }

  /**
   * Acknowledges an unresolved alarm (again, with a new comment, if it was already):
   * `not-found`, `resolved` (nothing changed), or the alarm acknowledged.
   */
  async acknowledge(
    id: string,
    by: string,
    comment: string,
    now: Date,
  ): Promise<
    | { outcome: 'acknowledged'; alarm: RecordingAlarm; before: RecordingAlarm }
    | { outcome: 'resolved'; alarm: RecordingAlarm }
    | { outcome: 'not-found' }
  > {
    const before = await this.get(id);
    if (!before) return { outcome: 'not-found' };
    const n = await this.db(ALARMS)
      .where({ id })
      .whereNotNull('open_key')
      .update({
        state: 'acknowledged',
        acknowledged_at: now,
        acknowledged_by: by.toLowerCase(),
        acknowledge_comment: comment,
      });
    const alarm = (await this.get(id))!;
    if (!n) return { outcome: 'resolved', alarm };
    return { outcome: 'acknowledged', alarm, before };
  }
}
