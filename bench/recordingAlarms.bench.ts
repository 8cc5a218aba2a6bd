/*
 * Recording alarms benchmark: seeds N recorded numbers (default 10,000; weekdays
 * 08:00-18:00 Brussels, every 50th in private mode) with C recorded calls each over the
 * last two days (default 10: 100,000 conversations, generated in the database, on two
 * recorder instances), then makes 1% of them silent (last call 20 days ago), gives 1%
 * refusals over the threshold and 1% three failed quality checks in a row, and times the
 * real RecordingAlarmsService.evaluate: the first run (raises every alarm, notifies a
 * counting stub, audits) and the steady runs after it (nothing new).
 */
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import {
  applyDatabaseMigrations,
  KnexAuditLogStore,
  KnexNumbersStore,
} from '../plugins/voice-recording-backend/src/database';
import { RecordingAlarmsStore } from '../plugins/voice-recording-backend/src/database/RecordingAlarmsStore';
import { RecordingSignalsStore } from '../plugins/voice-recording-backend/src/database/RecordingSignalsStore';
import { RecordingAlarmNotifier } from '../plugins/voice-recording-backend/src/notifiers/RecordingAlarmNotifier';
import { AuditRecorder } from '../plugins/voice-recording-backend/src/service/AuditRecorder';
import { readRecordingAlarmsConfig } from '../plugins/voice-recording-backend/src/service/health/alarmsConfig';
import { RecordingAlarmsService } from '../plugins/voice-recording-backend/src/service/health/RecordingAlarmsService';
import { idSql, seedRecordedNumbers } from './support/seedNumbers';

/** Wednesday 2 December 2026, 15:00 in Brussels: the evaluations' clock. */
export const BENCH_NOW = new Date('2026-12-02T14:00:00.000Z');
const HOUR = 3_600_000;

const ts = (pg: boolean, d: Date) =>
  pg ? `'${d.toISOString()}'::timestamptz` : `${d.getTime()}`;

export async function seedRecordingAlarms(
  knex: Knex,
  numbers: number,
  callsPerNumber: number,
): Promise<{ seedMs: number; conversations: number }> {
  const started = performance.now();
  await applyDatabaseMigrations(knex);
  const pg = knex.client.config.client === 'pg';
  const created = ts(pg, new Date(BENCH_NOW.getTime() - 60 * 24 * HOUR));
  await seedRecordedNumbers(knex, numbers, created);
  // call k of number i: k * (48 h / C) + i seconds ago; instance a or b by parity
  const total = numbers * callsPerNumber;
  const step = Math.floor((48 * 3600) / callsPerNumber);
  const nowSql = ts(pg, BENCH_NOW);
  const startedSql = pg
    ? `${nowSql} - make_interval(secs => ((j % ${callsPerNumber}) + 1) * ${step} + (j / ${callsPerNumber}) % 3600)`
    : `${BENCH_NOW.getTime()} - (((j % ${callsPerNumber}) + 1) * ${step} + (j / ${callsPerNumber}) % 3600) * 1000`;
  const nOf = `(j / ${callsPerNumber} + 1)`;
  for (let from = 0; from < total; from += 100_000) {
    const to = Math.min(total, from + 100_000);
    const rows = pg
      ? `generate_series(${from}, ${to - 1}) AS j`
      : `(WITH RECURSIVE s(j) AS (SELECT ${from} UNION ALL SELECT j + 1 FROM s WHERE j < ${
          to - 1
        }) SELECT j FROM s)`;
    await knex.raw(`INSERT INTO vr_conversations (id, recorded_number_id, number, number_digits, user_ref, started_at, sip_call_id, participants, metadata, dtmf, state, capture_source, capture_instance, quality_verdict)
      SELECT ${idSql(pg, 'j + 200000000')}, ${idSql(
      pg,
      nOf,
    )}, '+32470000000', '32470000000', 'user:default/u', ${startedSql},
        'bench-' || j, '[]', '{}', '[]', 'finished', 'siprec', CASE WHEN j % 2 = 0 THEN 'siprec@a' ELSE 'siprec@b' END, 'ok'
      FROM ${rows} ${pg ? '' : 'AS r'}`);
  }
  // 1% silent: their calls moved 20 days back
  const ids = async (m: number, r: number) =>
    (await knex('vr_numbers').select('id').orderBy('id'))
      .filter((_row, i) => (i + 1) % m === r)
      .map(row => row.id as string);
  const silent = await ids(100, 3);
  for (let i = 0; i < silent.length; i += 500)
    await knex('vr_conversations')
      .whereIn('recorded_number_id', silent.slice(i, i + 500))
      .update({ started_at: new Date(BENCH_NOW.getTime() - 20 * 24 * HOUR) });
  // 1% refusals: 8 refused (no-capacity) in the last day
  const refusing = await ids(100, 5);
  const refusals = refusing.flatMap((id, n) =>
    Array.from({ length: 8 }, (_, k) => ({
      id: `${String(n).padStart(8, '0')}-0000-4000-9000-${String(k).padStart(
        12,
        '0',
      )}`,
      at: new Date(BENCH_NOW.getTime() - (k + 1) * HOUR),
      recorded_number_id: id,
      number: '+32470000000',
      participants: '[]',
      reason: 'no-capacity',
      sip_call_id: `refused-${n}-${k}`,
      response_code: 503,
      capture_source: 'siprec',
    })),
  );
  for (let i = 0; i < refusals.length; i += 100)
    await knex('vr_refused_sessions').insert(refusals.slice(i, i + 100));
  // 1% failed quality: every checked call failed
  const failing = await ids(100, 7);
  for (let i = 0; i < failing.length; i += 500)
    await knex('vr_conversations')
      .whereIn('recorded_number_id', failing.slice(i, i + 500))
      .update({ quality_verdict: 'failed' });
  if (pg) await knex.raw('VACUUM ANALYZE');
  return { seedMs: performance.now() - started, conversations: total };
}

export async function timeRecordingAlarms(knex: Knex, runs: number) {
  const logger: LoggerService = {
    error() {},
    warn() {},
    info() {},
    debug() {},
    child() {
      return logger;
    },
  };
  // the Backstage auditor's side is not timed (the vr_audit_log rows are)
  const auditor: AuditorService = {
    createEvent: async () => ({
      success: async () => {},
      fail: async () => {},
    }),
  };
  const audit = new AuditRecorder(auditor, new KnexAuditLogStore(knex), logger);
  let sent = 0;
  const service = new RecordingAlarmsService({
    alarms: new RecordingAlarmsStore(knex),
    signals: new RecordingSignalsStore(knex),
    numbers: new KnexNumbersStore(knex),
    notifier: new RecordingAlarmNotifier(
      {
        send: async () => {
          sent++;
        },
      },
      ['group:default/compliance'],
      logger,
      audit,
    ),
    audit,
    config: readRecordingAlarmsConfig(new ConfigReader({})),
    logger,
  });
  let t = performance.now();
  const first = await service.evaluate(BENCH_NOW);
  const firstMs = performance.now() - t;
  const steady: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    const r = await service.evaluate(
      new Date(BENCH_NOW.getTime() + (i + 1) * 5 * 60_000),
    );
    steady.push(performance.now() - t);
    if (r.raised.length || r.resolved.length)
      throw new Error(
        `steady run ${i} changed alarms: ${r.raised.length} raised, ${r.resolved.length} resolved`,
      );
  }
  steady.sort((a, b) => a - b);
  const byKind: Record<string, number> = {};
  for (const a of first.raised) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
  return {
    firstMs,
    raised: byKind,
    notifications: sent,
    steadyP50: steady[Math.floor(steady.length / 2)],
    steadyMax: steady[steady.length - 1],
  };
}
