/*
 * The databases a bench runs on, each fresh and removed afterwards:
 * - SQLite: a file database in a new temporary directory `vr-bench-<key>-…`;
 * - PostgreSQL: a new database `vr_bench_<key>_<timestamp>` on BENCH_POSTGRES_URL
 *   (default postgresql://postgres@127.0.0.1:5432).
 * `which` is 'sqlite', 'postgres' or undefined (both, SQLite first).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const knexFactory = require('knex');

const PG_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';

/**
 * Runs `run(name, knex)` on each database chosen by `which`; returns the sum of what it
 * returned (the number of figures over their target).
 */
async function onBenchDatabases(which, key, run) {
  let over = 0;
  if (!which || which === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vr-bench-${key}-`));
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
    const db = `vr_bench_${key}_${Date.now()}`;
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
  return over;
}

module.exports = { onBenchDatabases };
