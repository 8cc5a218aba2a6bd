/*
 * Bulk import benchmark: 10,000 recorded numbers and a 10,000-row CSV, timing
 * validation + apply (one transaction) on a given knex database.
 */
import { Knex } from 'knex';
import {
  applyDatabaseMigrations,
  KnexAuditLogStore,
  KnexNumbersStore,
  KnexPlanningModelsStore,
} from '../plugins/voice-recording-backend/src/database';
import {
  chunk,
  slotToColumns,
} from '../plugins/voice-recording-backend/src/database/util';
import { readVoiceRecordingConfig } from '../plugins/voice-recording-backend/src/config';
import { AuditRecorder } from '../plugins/voice-recording-backend/src/service/AuditRecorder';
import { BulkScheduleService } from '../plugins/voice-recording-backend/src/service/bulk/BulkScheduleService';
import { NotificationDispatcher } from '../plugins/voice-recording-backend/src/notifiers/NotificationDispatcher';
import { ServiceContext } from '../plugins/voice-recording-backend/src/service/context';
import { ConfigReader } from '@backstage/config';
import { randomUUID } from 'node:crypto';

export interface BenchFigures {
  numbers: number;
  seedMs: number;
  validateMs: number;
  importMs: number;
  applied: number;
  reimportMs: number;
  unchanged: number;
  exportMs: number;
}

const quietLogger: any = {
  info() {},
  warn() {},
  error: (m: string) => console.error(m),
  debug() {},
  child() {
    return quietLogger;
  },
};

export async function runBulkImportBench(
  knex: Knex,
  count = 10_000,
): Promise<BenchFigures> {
  await applyDatabaseMigrations(knex);
  const numbers = new KnexNumbersStore(knex);
  const planningModels = new KnexPlanningModelsStore(knex);
  const auditor: any = {
    createEvent: async () => ({
      success: async () => {},
      fail: async () => {},
    }),
  };
  const audit = new AuditRecorder(
    auditor,
    new KnexAuditLogStore(knex),
    quietLogger,
  );
  const ctx: ServiceContext = {
    logger: quietLogger,
    config: readVoiceRecordingConfig(new ConfigReader({})),
    numbers,
    planningModels,
    audit,
    events: { publish: async () => {}, subscribe: async () => {} } as any,
    catalog: {} as any,
    notifications: new NotificationDispatcher([], quietLogger, audit),
  };

  // --- seed: 3 models, `count` numbers on "Office hours"
  const t0 = performance.now();
  const office = await planningModels.create({
    name: 'Office hours',
    slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
  });
  await planningModels.create({
    name: 'Extended',
    slots: [
      { weekdays: [1, 2, 3, 4, 5], start: '07:00', end: '20:00' },
      { weekdays: [6], start: '09:00', end: '13:00' },
    ],
  });
  await planningModels.create({
    name: 'Around the clock',
    slots: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' }],
  });
  const e164 = (i: number) => `+3247${String(1_000_000 + i).padStart(7, '0')}`;
  const now = new Date();
  const rows = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    number: e164(i),
    user_ref: `user:default/user${i % 500}`,
    mvr_active: true,
    fmu: false,
    beep: false,
    sms_on_status_change: false,
    status_mode: 'auto',
    active_status: 'professional',
    self_managed: false,
    simultaneous_calls: false,
    time_zone: 'Europe/Brussels',
    planning_model_id: office.id,
    created_at: now,
    updated_at: now,
  }));
  await knex.transaction(async trx => {
    for (const part of chunk(rows, 50)) await trx('vr_numbers').insert(part);
    const slots = rows.map(r => ({
      id: randomUUID(),
      number_id: r.id,
      ...slotToColumns(office.slots[0]),
      position: 0,
    }));
    for (const part of chunk(slots, 150))
      await trx('vr_number_slots').insert(part);
  });
  const seedMs = performance.now() - t0;

  // --- a CSV that changes every row (national format for a third, `;` separator)
  const models = ['Extended', 'Around the clock'];
  const lines = [
    'number;planning_model;status_mode;active_status;beep;sms;self_management',
  ];
  for (let i = 0; i < count; i++) {
    const n = e164(i);
    const number =
      i % 3 === 0
        ? `0${n.slice(3, 6)} ${n.slice(6, 8)} ${n.slice(8, 10)} ${n.slice(10)}`
        : n;
    const manual = i % 4 === 0;
    lines.push(
      [
        number,
        models[i % 2],
        manual ? 'manual' : 'auto',
        'professional',
        i % 2 ? 'yes' : 'no',
        'yes',
        manual && i % 8 === 0 ? 'yes' : 'no',
      ].join(';'),
    );
  }
  const csv = Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
  const bulk = new BulkScheduleService(ctx);
  const actor: any = {
    ref: 'user:default/alice',
    credentials: {
      principal: { type: 'user', userEntityRef: 'user:default/alice' },
    },
  };

  const t1 = performance.now();
  await bulk.validate(csv);
  const validateMs = performance.now() - t1;

  const t2 = performance.now();
  const result = await bulk.import(actor, csv, false);
  const importMs = performance.now() - t2;
  if (result.applied !== count)
    throw new Error(
      `expected ${count} applied rows, got ${JSON.stringify(result)}`,
    );

  const t3 = performance.now();
  const again = await bulk.import(actor, csv, false);
  const reimportMs = performance.now() - t3;
  if (again.unchanged !== count)
    throw new Error(
      `expected ${count} unchanged rows, got ${JSON.stringify(again)}`,
    );

  const t4 = performance.now();
  const exported = await bulk.export();
  const exportMs = performance.now() - t4;
  const check = await bulk.import(actor, Buffer.from(exported.csv), true);
  if (check.unchanged !== count)
    throw new Error(`export -> import changed ${check.applied} rows`);

  return {
    numbers: count,
    seedMs,
    validateMs,
    importMs,
    applied: result.applied,
    reimportMs,
    unchanged: again.unchanged,
    exportMs,
  };
}
