#!/usr/bin/env node
/*
 * Conversation search benchmark: `node bench/conversations.js [sqlite|postgres]`.
 * BENCH_CONVERSATIONS (default 1000000) synthetic conversations; prints p50/p95 per
 * search (page of 50 + total count). Target: p95 < 100 ms.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const knexFactory = require('knex');
const { seedConversations, timeSearches } = require('./conversationSearch.bench.ts');

const COUNT = Number(process.env.BENCH_CONVERSATIONS ?? 1000000);
const TARGET_MS = 100;
const PG_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';

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
  let over = 0;
  if (!which || which === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vr-bench-conv-'));
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
    const db = `vr_bench_conv_${Date.now()}`;
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
