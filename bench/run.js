#!/usr/bin/env node
/*
 * Runs the benchmarks: `yarn bench` (root) or `node bench/run.js [sqlite|postgres]`;
 * `yarn bench recorder [--calls N --seconds S ...]` runs the SIPREC recorder load
 * benchmark (bench/recorderLoad.js) in its own processes; `yarn bench playback [--runs N]`
 * the click-to-audio benchmark of a one-hour call in Chromium (bench/playbackStart.js);
 * `yarn bench pageload [--runs N --root DIR]` the full-reload page load of the portal's
 * main pages in Chromium (bench/pageLoad.js); `yarn bench quality [--hours H]` the CPU
 * of the quality check per call-hour (bench/qualityAnalysis.js); `yarn bench health
 * [sqlite|postgres]` Recording health on 10,000 numbers × 90 days (bench/recordingHealth.js);
 * `yarn bench encryption [--hours H --runs N]` encryption at rest's cost (bench/encryption.js);
 * `yarn bench upload [--calls N --minutes A-B --concurrency N]` recordings uploaded from a
 * recorder's staging directory to S3 (bench/uploadThroughput.js).
 * TypeScript sources are loaded through Backstage's node transform.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const knexFactory = require('knex');
const { runBulkImportBench } = require('./bulkImport.bench.ts');

const COUNT = Number(process.env.BENCH_NUMBERS ?? 10000);
const TARGET_MS = 5000;
const PG_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';

function print(name, f) {
  const ms = v => `${(v / 1000).toFixed(2)} s`;
  const total = f.importMs;
  console.log(`\n${name}: ${f.numbers} recorded numbers, ${f.numbers}-row CSV`);
  console.log(`  seed                     ${ms(f.seedMs)}`);
  console.log(`  validate only            ${ms(f.validateMs)}`);
  console.log(
    `  validate + apply         ${ms(f.importMs)}  (${
      f.applied
    } rows changed, one transaction)  ${
      total < TARGET_MS ? 'OK' : 'OVER'
    } target ${TARGET_MS / 1000} s`,
  );
  console.log(
    `  re-import (no change)    ${ms(f.reimportMs)}  (${
      f.unchanged
    } unchanged)`,
  );
  console.log(`  export                   ${ms(f.exportMs)}`);
  return total < TARGET_MS;
}

async function sqlite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vr-bench-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'bench.sqlite') },
    useNullAsDefault: true,
  });
  try {
    return print('SQLite (file)', await runBulkImportBench(knex, COUNT));
  } finally {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres() {
  const db = `vr_bench_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: `${PG_URL}/postgres` });
  await admin.raw(`CREATE DATABASE ${db}`);
  const knex = knexFactory({ client: 'pg', connection: `${PG_URL}/${db}` });
  try {
    return print(`PostgreSQL (${db})`, await runBulkImportBench(knex, COUNT));
  } finally {
    await knex.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS ${db}`);
    await admin.destroy();
  }
}

async function main() {
  const which = process.argv[2];
  if (which === 'playback') {
    // click on Play -> audio of a one-hour call in Chromium (bench/playbackStart.js)
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'playbackStart.js'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (which === 'pageload') {
    // full reload -> content visible of numbers, conversations, call page, audit (bench/pageLoad.js)
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'pageLoad.js'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (which === 'quality') {
    // CPU of the quality check made as each call is archived (bench/qualityAnalysis.js)
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'qualityAnalysis.js'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (which === 'health') {
    // Recording health summary and numbers on 10,000 numbers × 90 days (bench/recordingHealth.js)
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'recordingHealth.js'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (which === 'encryption') {
    // encryption at rest: archive CPU per call-second and first audio byte, plain vs encrypted
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'encryption.js'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (which === 'upload') {
    // recordings from a recorder's local staging directory to S3 (bench/uploadThroughput.js)
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'uploadThroughput.js'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (which === 'recorder') {
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'recorderLoad.js'), ...process.argv.slice(3)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  let ok = true;
  if (!which || which === 'sqlite') ok = (await sqlite()) && ok;
  if (!which || which === 'postgres') ok = (await postgres()) && ok;
  if (!ok) {
    console.error(
      `\nat least one run is over the ${TARGET_MS / 1000} s target`,
    );
    process.exitCode = 1;
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
