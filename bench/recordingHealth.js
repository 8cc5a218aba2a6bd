#!/usr/bin/env node
/*
 * Recording health benchmark: `node bench/recordingHealth.js [sqlite|postgres]` or
 * `yarn bench health [sqlite|postgres]`. BENCH_HEALTH_NUMBERS (default 10000) numbers ×
 * BENCH_HEALTH_DAYS (default 90) days of coverage rows; prints p50/p95 of the summary and
 * of the numbers' first page (attention first), target p95 < 1 s, and of the coverage
 * job's steady run (yesterday and today of every number), target < 60 s.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const knexFactory = require('knex');
const {
  seedRecordingHealth,
  timeRecordingHealth,
} = require('./recordingHealth.bench.ts');

const NUMBERS = Number(process.env.BENCH_HEALTH_NUMBERS ?? 10000);
const DAYS = Number(process.env.BENCH_HEALTH_DAYS ?? 90);
const PG_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';

async function run(name, knex) {
  const load = () => os.loadavg()[0].toFixed(1);
  const seedMs = await seedRecordingHealth(knex, NUMBERS, DAYS);
  console.log(
    `\n${name}: ${NUMBERS} numbers × ${DAYS} days = ${
      NUMBERS * DAYS
    } coverage rows seeded in ${(seedMs / 1000).toFixed(1)} s`,
  );
  let over = 0;
  const loadBefore = load();
  const timings = await timeRecordingHealth(knex, NUMBERS, DAYS);
  console.log(
    `  (load average ${loadBefore} before, ${load()} after, ${
      os.cpus().length
    } cores)`,
  );
  for (const t of timings) {
    const ok = t.p95 < t.target;
    if (!ok) over++;
    console.log(
      `  ${t.name.padEnd(46)} p50 ${t.p50
        .toFixed(0)
        .padStart(6)} ms  p95 ${t.p95
        .toFixed(0)
        .padStart(6)} ms  node CPU ${t.cpu50.toFixed(0).padStart(5)} ms  ${
        ok ? 'OK' : 'OVER'
      }  (${t.detail})`,
    );
  }
  return over;
}

async function main() {
  const which = process.argv[2];
  let over = 0;
  if (!which || which === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vr-bench-health-'));
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(dir, 'bench.sqlite') },
      useNullAsDefault: true,
    });
    try {
      over += await run('SQLite (file)', knex);
    } finally {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!which || which === 'postgres') {
    const db = `vr_bench_health_${Date.now()}`;
    const admin = knexFactory({ client: 'pg', connection: PG_URL });
    await admin.raw(`CREATE DATABASE ${db}`);
    const knex = knexFactory({ client: 'pg', connection: `${PG_URL}/${db}` });
    try {
      over += await run('PostgreSQL', knex);
    } finally {
      await knex.destroy();
      await admin.raw(`DROP DATABASE ${db}`);
      await admin.destroy();
    }
  }
  process.exitCode = over ? 1 : 0;
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
