/*
 * Recording health benchmark: seeds N recorded numbers (default 10,000) with D days of
 * coverage rows each (default 90: 900,000 rows) generated in the database, some open
 * alarms, and a catalog of their owners in 20 groups; then times what GET /health/summary
 * and GET /health/numbers (first page, attention first) do over the D days, through the
 * real RecordingHealthService, CoverageStore and RecordingAlarmsStore, JSON included.
 */
import { Knex } from 'knex';
import { addCalendarDays } from '../plugins/voice-recording-common/src';
import { applyDatabaseMigrations } from '../plugins/voice-recording-backend/src/database';
import { CoverageStore } from '../plugins/voice-recording-backend/src/database/CoverageStore';
import { RecordingAlarmsStore } from '../plugins/voice-recording-backend/src/database/RecordingAlarmsStore';
import { KnexNumbersStore } from '../plugins/voice-recording-backend/src/database/NumbersStore';
import { CoverageJob } from '../plugins/voice-recording-backend/src/service/health/CoverageJob';
import { OwnerGroups } from '../plugins/voice-recording-backend/src/service/health/OwnerGroups';
import { RecordingHealthService } from '../plugins/voice-recording-backend/src/service/health/RecordingHealthService';
import {
  idSql,
  numberSql,
  seedRecordedNumbers,
  series,
} from './support/seedNumbers';

export interface HealthTiming {
  name: string;
  p50: number;
  p95: number;
  /** CPU time of this process (user + system, ms), median: the share not spent waiting */
  cpu50: number;
  /** the target of p95 (ms) */
  target: number;
  detail: string;
}

const LAST_DAY = '2026-11-30';
const GROUPS = 20;

export async function seedRecordingHealth(
  knex: Knex,
  numbers: number,
  days: number,
): Promise<number> {
  const started = performance.now();
  await applyDatabaseMigrations(knex);
  const pg = knex.client.config.client === 'pg';
  const id = idSql(pg);
  const created = pg
    ? `'2026-01-01T00:00:00Z'::timestamptz`
    : `${Date.UTC(2026, 0, 1)}`;
  await seedRecordedNumbers(knex, numbers, created);
  const first = addCalendarDays(LAST_DAY, -(days - 1));
  const isWeekday = (d: number) =>
    ![0, 6].includes(
      new Date(`${addCalendarDays(first, d)}T12:00:00Z`).getUTCDay(),
    );
  let weekdaysSoFar = 0;
  const computed = pg ? `now()` : `${Date.now()}`;
  // days d' <= d with d' % m = r (the running count of a pattern that repeats every m days)
  const upTo = (d: number, m: number, r: string) =>
    `(CASE WHEN (${r}) <= ${d} THEN (${d} - (${r})) / ${m} + 1 ELSE 0 END)`;
  for (let d = 0; d < days; d++) {
    const day = addCalendarDays(first, d);
    const weekday = isWeekday(d);
    if (weekday) weekdaysSoFar++;
    // numbers: every 50th in private mode (nothing expected), every 97th silent; every
    // 41st refused for lack of capacity every 10th day, every 53rd a failed call a week,
    // every 11th a quality warning every 5th day
    const privateN = 'i % 50 = 0';
    const silent = 'i % 97 = 0';
    const refused = `(i % 41 = 0 AND ${d % 10} = 0)`;
    const refusedSoFar = `(CASE WHEN i % 41 = 0 THEN ${
      Math.floor(d / 10) + 1
    } ELSE 0 END)`;
    const failed = `(i % 53 = 0 AND ${silent.replace('=', '<>')} AND i % 7 = ${
      d % 7
    })`;
    const failedSoFar = `(CASE WHEN i % 53 = 0 AND ${silent.replace(
      '=',
      '<>',
    )} THEN ${upTo(d, 7, 'i % 7')} ELSE 0 END)`;
    const warning = `(i % 11 = 0 AND i % 5 = ${d % 5})`;
    const warningSoFar = `(CASE WHEN i % 11 = 0 THEN ${upTo(
      d,
      5,
      'i % 5',
    )} ELSE 0 END)`;
    const calls = `(CASE WHEN ${silent} OR ${
      weekday ? 0 : 1
    } = 1 THEN 0 ELSE 1 + i % 7 END)`;
    const callsSoFar = `(CASE WHEN ${silent} THEN 0 ELSE (1 + i % 7) * ${weekdaysSoFar} END)`;
    await knex.raw(
      series(
        pg,
        numbers,
        from => `INSERT INTO vr_recording_coverage (number_id, day, number, user_ref, expected_seconds,
            recorded_calls, recorded_seconds, refused_calls, refused_by_reason, warning_quality_calls,
            failed_quality_calls, last_recorded_call_at, computed_at,
            cum_expected_seconds, cum_recorded_calls, cum_recorded_seconds, cum_refused_calls,
            cum_refused_by_reason, cum_warning_quality_calls, cum_failed_quality_calls)
          SELECT ${id}, '${day}', ${numberSql(pg)}, 'user:default/u' || i,
            CASE WHEN ${privateN} OR ${
          weekday ? 0 : 1
        } = 1 THEN 0 ELSE 36000 END,
            ${calls}, ${calls} * 120,
            CASE WHEN ${refused} THEN 1 ELSE 0 END,
            CASE WHEN ${refused} THEN '{"no-capacity":1}' ELSE '{}' END,
            CASE WHEN ${warning} THEN 1 ELSE 0 END,
            CASE WHEN ${failed} THEN 1 ELSE 0 END,
            NULL, ${computed},
            CASE WHEN ${privateN} THEN 0 ELSE 36000 * ${weekdaysSoFar} END,
            ${callsSoFar}, ${callsSoFar} * 120,
            ${refusedSoFar},
            CASE WHEN ${refusedSoFar} > 0 THEN '{"no-capacity":' || ${refusedSoFar} || '}' ELSE '{}' END,
            ${warningSoFar}, ${failedSoFar}
          FROM ${from}`,
      ),
    );
  }
  // the seeded running sums must be those of the rows (what the coverage job writes)
  for (const i of [1, 11, 41, 53, 97, 100, 2173, numbers]) {
    const nid = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${i
      .toString(16)
      .padStart(12, '0')}`;
    const [sum] = await knex('vr_recording_coverage')
      .where('number_id', nid)
      .select(
        knex.raw('sum(expected_seconds) as e'),
        knex.raw('sum(recorded_calls) as c'),
        knex.raw('sum(refused_calls) as r'),
        knex.raw('sum(warning_quality_calls) as w'),
        knex.raw('sum(failed_quality_calls) as f'),
      );
    const cum = await knex('vr_recording_coverage')
      .where({ number_id: nid, day: LAST_DAY })
      .first();
    const a = [sum.e, sum.c, sum.r, sum.w, sum.f].map(Number).join();
    const b = [
      cum.cum_expected_seconds,
      cum.cum_recorded_calls,
      cum.cum_refused_calls,
      cum.cum_warning_quality_calls,
      cum.cum_failed_quality_calls,
    ]
      .map(Number)
      .join();
    if (a !== b)
      throw new Error(
        `seed: running sums of number ${i} are ${b}, rows sum to ${a}`,
      );
  }
  const last = (ms: number) => (pg ? `to_timestamp(${ms / 1000})` : `${ms}`);
  await knex.raw(
    series(
      pg,
      numbers,
      from => `INSERT INTO vr_recording_coverage_numbers (number_id, last_recorded_call_at, computed_through, first_day)
        SELECT ${id},
          CASE WHEN i % 97 = 0 THEN ${last(Date.UTC(2026, 5, 1))} - ${
        pg ? `(i || ' hours')::interval` : 'i * 3600000'
      }
               ELSE ${last(Date.UTC(2026, 10, 30, 9))} END,
          '${addCalendarDays(LAST_DAY, -1)}', '${first}'
        FROM ${from}`,
    ),
  );
  // open alarms on 40 numbers
  const alarms = new RecordingAlarmsStore(knex);
  for (let i = 1; i <= 40; i++) {
    const n = i * 211;
    const hex = n.toString(16);
    await alarms.raise(
      {
        kind: i % 2 ? 'silent-number' : 'failed-quality',
        severity: i % 3 ? 'warning' : 'failed',
        numberId: `${hex.padStart(8, '0')}-0000-4000-8000-${hex.padStart(
          12,
          '0',
        )}`,
        number: `+32470${String(n).padStart(6, '0')}`,
        summary: `bench alarm ${i}`,
      },
      new Date(Date.UTC(2026, 10, 20)),
      86_400_000,
    );
  }
  if (pg) await knex.raw('VACUUM ANALYZE');
  else await knex.raw('ANALYZE');
  return performance.now() - started;
}

function percentile(sorted: number[], p: number) {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))
  ];
}

export async function timeRecordingHealth(
  knex: Knex,
  numbers: number,
  days: number,
  runs = 7,
): Promise<HealthTiming[]> {
  // the catalog's users (owners) in 20 groups, as the catalog service answers
  const items = Array.from({ length: numbers }, (_, k) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: `u${k + 1}`, namespace: 'default' },
    spec: { memberOf: [`g${(k + 1) % GROUPS}`] },
    relations: [
      { type: 'memberOf', targetRef: `group:default/g${(k + 1) % GROUPS}` },
    ],
  }));
  const catalog = { getEntities: async () => ({ items }) } as any;
  const period = { from: addCalendarDays(LAST_DAY, -(days - 1)), to: LAST_DAY };
  const credentials = {
    $$type: '@backstage/BackstageCredentials',
    principal: { type: 'user', userEntityRef: 'user:default/admin' },
  } as any;
  // a fresh service per run: the catalog's answer is not reused between runs
  const service = () =>
    new RecordingHealthService({
      coverage: new CoverageStore(knex),
      ownerGroups: new OwnerGroups(catalog),
      groupMembers: async () => [],
      alarms: new RecordingAlarmsStore(knex),
      timeZone: 'Europe/Brussels',
      now: () => new Date(`${LAST_DAY}T20:00:00Z`),
    });
  const cases: {
    name: string;
    run: () => Promise<string>;
    /** p95 target in ms (default: the page's 1 s) */
    target?: number;
    runs?: number;
  }[] = [
    {
      name: `GET /health/summary (${days} days)`,
      run: async () => {
        const s = await service().summary(period, credentials);
        JSON.stringify(s);
        return `${s.overall.numbers} numbers, ${s.overall.numbersNeedingAttention} need attention, ${s.groups.length} groups`;
      },
    },
    {
      name: `GET /health/numbers first page (${days} days)`,
      run: async () => {
        const l = await service().list(
          { ...period, limit: 50, offset: 0 },
          credentials,
        );
        JSON.stringify(l);
        return `${l.totalCount} numbers; first: ${l.items[0].number} (${l.items[0].openAlarms.length} open alarms)`;
      },
    },
    {
      name: `GET /health/numbers?attention=needed (${days} days)`,
      run: async () => {
        const l = await service().list(
          { ...period, attention: 'needed', limit: 50, offset: 0 },
          credentials,
        );
        JSON.stringify(l);
        return `${l.totalCount} numbers need attention`;
      },
    },
  ];
  // the coverage job's steady run (every 5 minutes): yesterday and today of every number
  const job = new CoverageJob({
    store: new CoverageStore(knex),
    numbers: new KnexNumbersStore(knex),
    timeZone: 'Europe/Brussels',
    backfillDays: days,
  });
  // the last two days as a run at noon left them; each timed run is 5 minutes after the
  // one before, so that it adds today's last 5 minutes of expected time for every number
  // (and the first ones yesterday's afternoon), as the task does
  for (const day of [addCalendarDays(LAST_DAY, -1), LAST_DAY])
    await knex('vr_recording_coverage')
      .where({ day })
      .update({ computed_at: new Date(`${day}T11:00:00Z`) });
  let runAt = Date.parse(`${LAST_DAY}T19:00:00Z`);
  cases.push({
    name: 'coverage job run (yesterday + today)',
    // it runs every 5 minutes (voiceRecording.recordingHealth.coverage.frequencyMinutes)
    target: 60_000,
    runs: 3,
    run: async () => {
      runAt += 5 * 60_000;
      const r = await job.refresh(new Date(runAt));
      return `${r.rows} rows over ${r.days} days`;
    },
  });
  const out: HealthTiming[] = [];
  for (const c of cases) {
    let detail = await c.run(); // warm-up
    const times: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < (c.runs ?? runs); r++) {
      const t = performance.now();
      const u = process.cpuUsage();
      detail = await c.run();
      const used = process.cpuUsage(u);
      times.push(performance.now() - t);
      cpu.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    out.push({
      name: c.name,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      cpu50: percentile(cpu, 50),
      target: c.target ?? 1000,
      detail,
    });
  }
  return out;
}
