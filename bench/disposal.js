#!/usr/bin/env node
/*
 * Disposal bench: `node bench/disposal.js [sqlite|postgres]`.
 * BENCH_CONVERSATIONS (default 1000000) conversations, BENCH_DISPOSAL_DUE (default 20000)
 * of them due with real files (1 % held), batches of BENCH_DISPOSAL_BATCH (default 500).
 * Prints the disposal rate; target >= 1,000 conversations/s. Exits 1 when under it.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { onBenchDatabases } = require('./support/benchDatabases.js');
const { benchDisposal } = require('./disposal.bench.ts');

const COUNT = Number(process.env.BENCH_CONVERSATIONS ?? 1000000);
const DUE = Number(process.env.BENCH_DISPOSAL_DUE ?? 20000);
const BATCH = Number(process.env.BENCH_DISPOSAL_BATCH ?? 500);
const TARGET = 1000;

async function run(name, knex) {
  const f = await benchDisposal(knex, COUNT, DUE, BATCH);
  const s = ms => `${(ms / 1000).toFixed(1)} s`;
  console.log(`\n${name}: ${COUNT} conversations seeded in ${s(f.seedMs)}`);
  console.log(
    `  retention assigned to ${f.assigned} in ${s(f.assignMs)} (${Math.round(
      f.assigned / (f.assignMs / 1000),
    )}/s)`,
  );
  console.log(
    `  upcoming (due ${f.due}, page of 200 + counts): ${f.upcomingMs.toFixed(
      0,
    )} ms`,
  );
  console.log(`  ${DUE * 2} real files written in ${s(f.filesMs)}`);
  const ok =
    f.rate >= TARGET && f.filesLeft === f.held && f.records === f.disposed;
  console.log(
    `  disposal run: ${f.disposed} disposed of (${f.held} held) in ${s(
      f.runMs,
    )} = ${Math.round(f.rate)} conversations/s  ${
      ok ? 'OK' : 'OVER'
    } (target >= ${TARGET}/s)`,
  );
  console.log(
    `  check: archives left ${f.filesLeft} (= held), disposal records ${f.records}, conversation rows left ${f.rowsLeft}`,
  );
  return ok ? 0 : 1;
}

async function main() {
  const which = process.argv[2];
  const over = await onBenchDatabases(which, 'disposal', run);
  process.exitCode = over ? 1 : 0;
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
