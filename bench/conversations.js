#!/usr/bin/env node
/*
 * Conversation search benchmark: `node bench/conversations.js [sqlite|postgres]`.
 * BENCH_CONVERSATIONS (default 1000000) synthetic conversations; prints p50/p95 per
 * search (page of 50 + total count). Target: p95 < 100 ms.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { onBenchDatabases } = require('./support/benchDatabases.js');
const { seedConversations, timeSearches } = require('./conversationSearch.bench.ts');

const COUNT = Number(process.env.BENCH_CONVERSATIONS ?? 1000000);
const TARGET_MS = 100;

async function run(name, knex) {
  const seedMs = await seedConversations(knex, COUNT);
  console.log(`\n${name}: ${COUNT} conversations seeded in ${(seedMs / 1000).toFixed(1)} s`);
  const timings = await timeSearches(knex, COUNT);
  let over = 0;
  for (const t of timings) {
    const ok = t.p95 < TARGET_MS;
    if (!ok) over++;
    console.log(
      `  ${t.name.padEnd(42)} p50 ${t.p50.toFixed(1).padStart(7)} ms  p95 ${t.p95.toFixed(1).padStart(7)} ms  total ${((t.totalIsLowerBound ? '>' : '') + t.total).padStart(7)}  ${ok ? 'OK' : 'OVER'}`,
    );
  }
  return over;
}

async function main() {
  const which = process.argv[2];
  const over = await onBenchDatabases(which, 'conv', run);
  process.exitCode = over ? 1 : 0;
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
