import { Knex } from 'knex';
import { chunk, SQL_VARIABLE_LIMIT, toIso } from './util';

const CONVERSATIONS = 'vr_conversations';
const REFUSED = 'vr_refused_sessions';

/** A recorded call: a conversation the recorder took (in progress or archived). */
const RECORDED_STATES = ['recording', 'finished'];

/** What one recorder instance did over a window. */
export interface RecorderActivity {
  instance: string;
  /** calls taken since the window's start */
  calls: number;
  /** ISO 8601; its last call in the lookback */
  lastCallAt: string;
}

/**
 * The facts the recording alarms are evaluated from, read from the conversations and
 * refused sessions the recorders wrote: last recorded call per number, refusals and
 * quality verdicts per number over a window, calls per recorder instance.
 */
export class RecordingSignalsStore {
  constructor(private readonly db: Knex) {}

  /**
   * The start of the last recorded call of each number (numbers without any are absent).
   * The numbers that called since `recentSince` are found in one query on the recent
   * calls; the others one by one (their own calls only, through the number index).
   */
  async lastRecordedCallOf(
    numberIds: string[],
    recentSince: Date,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const ids = [...new Set(numberIds)];
    for (const part of chunk(ids, SQL_VARIABLE_LIMIT)) {
      const rows: Array<{ recorded_number_id: string; last: unknown }> =
        await this.db(CONVERSATIONS)
          .whereIn('recorded_number_id', part)
          .whereIn('state', RECORDED_STATES)
          .where('started_at', '>=', recentSince)
          .groupBy('recorded_number_id')
          .select('recorded_number_id')
          .max({ last: 'started_at' });
      for (const r of rows) out.set(r.recorded_number_id, toIso(r.last));
    }
    for (const id of ids) {
      if (out.has(id)) continue;
      const r = await this.db(CONVERSATIONS)
        .where('recorded_number_id', id)
        .whereIn('state', RECORDED_STATES)
        .max({ last: 'started_at' })
        .first();
      if (r?.last) out.set(id, toIso(r.last));
    }
    return out;
  }

  /** Recorded calls per number started in `[since, until)`. */
  async recordedCallsSince(
    since: Date,
    until: Date,
  ): Promise<Map<string, number>> {
    const rows: Array<{ recorded_number_id: string; n: unknown }> =
      await this.db(CONVERSATIONS)
        .whereNotNull('recorded_number_id')
        .whereIn('state', RECORDED_STATES)
        .where('started_at', '>=', since)
        .where('started_at', '<', until)
        .groupBy('recorded_number_id')
        .select('recorded_number_id')
        .count({ n: '*' });
    return new Map(rows.map(r => [String(r.recorded_number_id), Number(r.n)]));
  }

  /** Refused sessions per number and reason in `[since, until)`, but the `ignored` reasons. */
  async refusalsSince(
    since: Date,
    until: Date,
    ignoredReasons: string[],
  ): Promise<Map<string, Record<string, number>>> {
    const q = this.db(REFUSED)
      .whereNotNull('recorded_number_id')
      .where('at', '>=', since)
      .where('at', '<', until);
    if (ignoredReasons.length) q.whereNotIn('reason', ignoredReasons);
    const rows: Array<{
      recorded_number_id: string;
      reason: string;
      n: unknown;
    }> = await q
      .groupBy('recorded_number_id', 'reason')
      .select('recorded_number_id', 'reason')
      .count({ n: '*' });
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const id = String(r.recorded_number_id);
      const byReason = out.get(id) ?? {};
      byReason[String(r.reason)] = Number(r.n);
      out.set(id, byReason);
    }
    return out;
  }

  /**
   * The quality verdicts of the checked calls of each number started in `[since, until)`,
   * newest first; a recording that failed (state `failed`) counts as `failed`.
   */
  async verdictsSince(
    since: Date,
    until: Date,
  ): Promise<Map<string, Array<'ok' | 'warning' | 'failed'>>> {
    const rows = await this.db(CONVERSATIONS)
      .whereNotNull('recorded_number_id')
      .where(b => b.whereNotNull('quality_verdict').orWhere('state', 'failed'))
      .where('started_at', '>=', since)
      .where('started_at', '<', until)
      .orderBy('recorded_number_id')
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .select('recorded_number_id', 'quality_verdict', 'state');
    const out = new Map<string, Array<'ok' | 'warning' | 'failed'>>();
    for (const r of rows) {
      const id = String(r.recorded_number_id);
      const list = out.get(id) ?? [];
      // a recording that failed counts as failed quality (as in the coverage)
      list.push(r.state === 'failed' ? 'failed' : r.quality_verdict);
      out.set(id, list);
    }
    return out;
  }

  /** Whether the number has a checked call that did not fail, started after `after`. */
  async hasPassingCallAfter(numberId: string, after: Date): Promise<boolean> {
    const r = await this.db(CONVERSATIONS)
      .where('recorded_number_id', numberId)
      .whereIn('quality_verdict', ['ok', 'warning'])
      .whereNot('state', 'failed')
      .where('started_at', '>', after)
      .first('id');
    return Boolean(r);
  }

  /** Whether the number has a recorded call started after `after`. */
  async hasRecordedCallAfter(numberId: string, after: Date): Promise<boolean> {
    const r = await this.db(CONVERSATIONS)
      .where('recorded_number_id', numberId)
      .whereIn('state', RECORDED_STATES)
      .where('started_at', '>', after)
      .first('id');
    return Boolean(r);
  }

  /**
   * Each recorder instance seen since `lookbackSince` (calls it took, conversations of
   * any state), with its calls since `windowSince` and its last call.
   */
  async recorderActivity(
    lookbackSince: Date,
    windowSince: Date,
    until: Date,
  ): Promise<RecorderActivity[]> {
    const rows = await this.db(CONVERSATIONS)
      .whereNotNull('capture_instance')
      .where('started_at', '>=', lookbackSince)
      .where('started_at', '<', until)
      .groupBy('capture_instance')
      .select(
        'capture_instance',
        this.db.raw(
          'sum(case when started_at >= ? then 1 else 0 end) as calls',
          [windowSince],
        ),
      )
      .max({ last: 'started_at' });
    return rows
      .map((r: any) => ({
        instance: String(r.capture_instance),
        calls: Number(r.calls),
        lastCallAt: toIso(r.last),
      }))
      .sort((a, b) => a.instance.localeCompare(b.instance));
  }

  /** Whether the recorder instance took a call started after `after`. */
  async recorderTookCallAfter(instance: string, after: Date): Promise<boolean> {
    const r = await this.db(CONVERSATIONS)
      .where('capture_instance', instance)
      .where('started_at', '>', after)
      .first('id');
    return Boolean(r);
  }
}
