#!/usr/bin/env node
/*
 * Regulator export bench: `node bench/regulatorExport.js [sqlite|postgres]`.
 * BENCH_EXPORT_CONVERSATIONS (default 2000) conversations of 60 s each, their archives
 * BENCH_EXPORT_FILES (default 20) real Ogg/Opus files; builds one package of all of them.
 * Prints the build time, the rate and the resident memory before and at its peak.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { onBenchDatabases } = require('./support/benchDatabases.js');
const { benchRegulatorExport } = require('./regulatorExport.bench.ts');

const COUNT = Number(process.env.BENCH_EXPORT_CONVERSATIONS ?? 2000);
const FILES = Number(process.env.BENCH_EXPORT_FILES ?? 20);

async function run(name, knex) {
  const f = await benchRegulatorExport(knex, COUNT, FILES);
  const mb = n => `${(n / 1e6).toFixed(1)} MB`;
  console.log(
    `\n${name}: ${f.conversations} recordings (${mb(
      f.archiveBytes,
    )} of archives) in ${(f.buildMs / 1000).toFixed(1)} s = ${Math.round(
      f.conversations / (f.buildMs / 1000),
    )} recordings/s, ${(f.archiveBytes / 1e6 / (f.buildMs / 1000)).toFixed(
      1,
    )} MB/s`,
  );
  console.log(
    `  package ${mb(f.packageBytes)}, ${
      f.entries
    } entries; resident memory ${f.rssBeforeMb.toFixed(
      0,
    )} MB before, ${f.rssPeakMb.toFixed(0)} MB at the peak (+${(
      f.rssPeakMb - f.rssBeforeMb
    ).toFixed(0)} MB)`,
  );
  return 0;
}

async function main() {
  const which = process.argv[2];
  await onBenchDatabases(which, 'export', run);
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
