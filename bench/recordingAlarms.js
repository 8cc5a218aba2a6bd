#!/usr/bin/env node
/*
 * Recording alarms benchmark: `node bench/recordingAlarms.js [sqlite|postgres]`.
 * BENCH_ALARM_NUMBERS (default 10000) numbers × BENCH_ALARM_CALLS (default 10) recorded
 * calls each over two days; times one evaluation that raises the alarms and the steady
 * evaluations after it (BENCH_ALARM_RUNS, default 5). Target: an evaluation < 30 s (it runs
 * every 5 minutes by default, with a 10-minute timeout).
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { onBenchDatabases } = require('./support/benchDatabases.js');
const {
  seedRecordingAlarms,
  timeRecordingAlarms,
} = require('./recordingAlarms.bench.ts');

const NUMBERS = Number(process.env.BENCH_ALARM_NUMBERS ?? 10000);
const CALLS = Number(process.env.BENCH_ALARM_CALLS ?? 10);
const RUNS = Number(process.env.BENCH_ALARM_RUNS ?? 5);
const TARGET_MS = 30_000;

async function run(name, knex) {
  const { seedMs, conversations } = await seedRecordingAlarms(
    knex,
    NUMBERS,
    CALLS,
  );
  console.log(
    `\n${name}: ${NUMBERS} numbers, ${conversations} conversations seeded in ${(
      seedMs / 1000
    ).toFixed(1)} s`,
  );
  const r = await timeRecordingAlarms(knex, RUNS);
  const s = ms => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `  first evaluation   ${s(r.firstMs)}  raised ${JSON.stringify(
      r.raised,
    )}, ${r.notifications} notifications`,
  );
  console.log(
    `  steady evaluation  p50 ${s(r.steadyP50)}  max ${s(
      r.steadyMax,
    )}  (${RUNS} runs)`,
  );
  return Math.max(r.firstMs, r.steadyMax) < TARGET_MS ? 0 : 1;
}

async function main() {
  const which = process.argv[2];
  const over = await onBenchDatabases(which, 'alarms', run);
  if (over)
    console.error(`\nan evaluation is over the ${TARGET_MS / 1000} s target`);
  process.exitCode = over ? 1 : 0;
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
