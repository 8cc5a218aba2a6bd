#!/usr/bin/env node
/*
 * Recording health benchmark: `node bench/recordingHealth.js [sqlite|postgres]` or
 * `yarn bench health [sqlite|postgres]`. BENCH_HEALTH_NUMBERS (default 10000) numbers ×
 * BENCH_HEALTH_DAYS (default 90) days of coverage rows; prints p50/p95 of the summary and
 * of the numbers' first page (attention first), target p95 < 1 s, and of the coverage
 * job's steady run (yesterday and today of every number), target < 60 s.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const os = require('node:os');
const { onBenchDatabases } = require('./support/benchDatabases.js');
const {
  seedRecordingHealth,
  timeRecordingHealth,
} = require('./recordingHealth.bench.ts');

const NUMBERS = Number(process.env.BENCH_HEALTH_NUMBERS ?? 10000);
const DAYS = Number(process.env.BENCH_HEALTH_DAYS ?? 90);

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
  const over = await onBenchDatabases(which, 'health', run);
  process.exitCode = over ? 1 : 0;
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
