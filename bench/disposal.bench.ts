/*
 * Disposal bench (docs/retention.md, bench/README.md "Retention and disposal"): 1M
 * conversations seeded in the database (conversationSearch.bench.ts), their retention
 * ends assigned through the real RetentionService (regulatory minimum P5Y), then the
 * real DisposalJob disposes of the oldest BENCH_DISPOSAL_DUE of them with real files
 * (archive + peaks of each, in a temporary directory), 1 % of those under a legal hold.
 */
import { LocalFileBlobStore } from '../plugins/voice-recording-node/src';
import { Knex } from 'knex';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RetentionStore } from '../plugins/voice-recording-backend/src/database/RetentionStore';
import { DisposalJob } from '../plugins/voice-recording-backend/src/service/retention/DisposalJob';
import { RetentionService } from '../plugins/voice-recording-backend/src/service/retention/RetentionService';
import { seedConversations } from './conversationSearch.bench';

const BASE_MS = Date.UTC(2026, 0, 1);
const STEP_MS = 30_000;

export interface DisposalFigures {
  seedMs: number;
  assignMs: number;
  assigned: number;
  upcomingMs: number;
  filesMs: number;
  due: number;
  held: number;
  runMs: number;
  disposed: number;
  rate: number;
  filesLeft: number;
  records: number;
  rowsLeft: number;
}

const idOf = (i: number) =>
  `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${i
    .toString(16)
    .padStart(12, '0')}`;

export async function benchDisposal(
  knex: Knex,
  count: number,
  due: number,
  batchSize: number,
): Promise<DisposalFigures> {
  const seedMs = await seedConversations(knex, count);
  const quiet = () => {};
  const logger: any = { info: quiet, warn: quiet, error: quiet, debug: quiet };
  logger.child = () => logger;
  const store = new RetentionStore(knex);
  const audit = { record: async () => {} };
  const retention = new RetentionService({
    store,
    numbers: { get: async () => undefined },
    groups: { members: async () => ({ members: new Map(), missing: [] }) },
    audit,
    logger,
    config: {
      minimumPeriod: { years: 5, months: 0, days: 0 },
      minimumPeriodText: 'P5Y',
      policies: [],
    },
  });
  let t = performance.now();
  const assigned = await retention.assignMissing();
  const assignMs = performance.now() - t;

  // `now`: five years after the `due`-th call ended (calls end up to 10 min after start)
  const now = new Date(BASE_MS + due * STEP_MS + 5 * 365.25 * 86_400_000);
  // make exactly the first `due` conversations due: retention of the others after `now`
  await knex('vr_conversations')
    .where('id', '>', idOf(due))
    .where('retention_until', '<=', now)
    .update({ retention_until: new Date(now.getTime() + 86_400_000) });
  t = performance.now();
  const upcoming = await store.upcoming(now, { limit: 200, offset: 0 });
  const upcomingMs = performance.now() - t;

  // real files for the due ones: archive and peak envelope
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vr-bench-disposal-'));
  const blobs = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
  t = performance.now();
  // fixtures written directly (the blob store's put syncs each file: minutes for 40,000)
  const body = Buffer.alloc(2048, 7);
  fs.mkdirSync(path.join(dir, 'bench'), { recursive: true });
  for (let i = 1; i <= due; i++) {
    fs.writeFileSync(path.join(dir, 'bench', `${i}.opus`), body);
    fs.writeFileSync(
      path.join(dir, 'bench', `${i}.opus.peaks`),
      body.subarray(0, 256),
    );
  }
  const filesMs = performance.now() - t;

  // 1 % of the due conversations carry a held case's label
  await knex('vr_labels').insert({
    id: 'bench-label',
    title: 'Bench hold',
    colour: '#aa0000',
    created_by: 'bench',
  });
  await knex('vr_cases').insert({
    id: 'bench-case',
    title: 'Bench hold',
    owner_ref: 'bench',
    label_id: 'bench-label',
  });
  const heldIds: string[] = [];
  for (let i = 100; i <= due; i += 100) heldIds.push(idOf(i));
  for (let i = 0; i < heldIds.length; i += 400)
    await knex('vr_conversation_labels').insert(
      heldIds
        .slice(i, i + 400)
        .map(id => ({
          conversation_id: id,
          label_id: 'bench-label',
          added_by: 'bench',
        })),
    );
  await knex('vr_legal_holds').insert({
    id: 'bench-hold',
    case_id: 'bench-case',
    label_id: 'bench-label',
    reason: 'bench',
    reference: 'B-1',
    state: 'active',
    placed_by: 'bench',
    placed_at: new Date(),
  });
  if (knex.client.config.client === 'pg') await knex.raw('ANALYZE');

  if (process.env.BENCH_PROFILE) {
    const spent: Record<string, number> = {};
    for (const target of [store as any, blobs as any]) {
      for (const m of [
        'claim',
        'heldAmong',
        'complete',
        'heartbeat',
        'recompute',
        'lengthenDue',
        'countHeldDue',
        'delete',
        'list',
      ]) {
        const f = target[m];
        if (typeof f !== 'function') continue;
        target[m] = async (...a: any[]) => {
          const t0 = performance.now();
          try {
            return await f.apply(target, a);
          } finally {
            spent[m] = (spent[m] ?? 0) + performance.now() - t0;
          }
        };
      }
    }
    process.on('beforeExit', () =>
      console.log(
        '  profile (ms, summed over concurrent calls):',
        JSON.stringify(
          Object.fromEntries(
            Object.entries(spent).map(([k, v]) => [k, Math.round(v)]),
          ),
        ),
      ),
    );
  }
  const job = new DisposalJob({
    store,
    retention,
    blobs,
    audit,
    logger,
    batchSize,
    maxPerRun: 10_000_000,
    deleteConcurrency: 8,
  });
  t = performance.now();
  const summary = await job.run('manual', { ref: 'user:default/bench' }, now);
  const runMs = performance.now() - t;
  if (summary.state !== 'done') throw new Error(`run failed: ${summary.error}`);
  let filesLeft = 0;
  for (let i = 1; i <= due; i++)
    if (fs.existsSync(path.join(dir, 'bench', `${i}.opus`))) filesLeft++;
  fs.rmSync(dir, { recursive: true, force: true });
  const [{ n: records }] = await knex('vr_disposal_records').count({ n: '*' });
  const [{ n: rowsLeft }] = await knex('vr_conversations').count({ n: '*' });
  return {
    seedMs,
    assignMs,
    assigned,
    upcomingMs,
    filesMs,
    due: upcoming.total,
    held: summary.held,
    runMs,
    disposed: summary.disposed,
    rate: summary.disposed / (runMs / 1000),
    filesLeft,
    records: Number(records),
    rowsLeft: Number(rowsLeft),
  };
}
