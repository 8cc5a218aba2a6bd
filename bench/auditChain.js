#!/usr/bin/env node
/*
 * Audit trail benchmark: `node bench/auditChain.js [sqlite|postgres]`.
 * Appends/s before the hash chain (one INSERT per entry into the table as it was) and
 * with it, one at a time (BENCH_AUDIT_SEQUENTIAL, default 2000) and with
 * BENCH_AUDIT_IN_FLIGHT (default 64) appends in flight (BENCH_AUDIT_CONCURRENT, default
 * 20000), in BENCH_AUDIT_ROUNDS (default 5) rounds alternating before and after, then
 * the verification walk over BENCH_AUDIT_VERIFY entries (default 200000). Target:
 * appends with the chain at least 1,000/s in flight (an audit entry per recording
 * access of many users at once).
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { onBenchDatabases } = require('./support/benchDatabases.js');
const { runAuditChainBench } = require('./auditChain.bench.ts');

const opts = {
  sequential: Number(process.env.BENCH_AUDIT_SEQUENTIAL ?? 2000),
  concurrent: Number(process.env.BENCH_AUDIT_CONCURRENT ?? 20000),
  inFlight: Number(process.env.BENCH_AUDIT_IN_FLIGHT ?? 64),
  verify: Number(process.env.BENCH_AUDIT_VERIFY ?? 200000),
  rounds: Number(process.env.BENCH_AUDIT_ROUNDS ?? 5),
};
const TARGET = 1000;

async function run(name, knex) {
  const r = await runAuditChainBench(knex, opts);
  const f = v => `${Math.round(v).toLocaleString('en-GB')}/s`;
  const pct = (a, b) => `${Math.round((a / b) * 100)} %`;
  console.log(`\n${name}`);
  console.log(
    `  one at a time      before ${f(r.before.sequential)}  chained ${f(
      r.after.sequential,
    )}  (${pct(r.after.sequential, r.before.sequential)})  ${
      opts.sequential
    } appends`,
  );
  console.log(
    `  ${opts.inFlight} in flight       before ${f(
      r.before.concurrent,
    )}  chained ${f(r.after.concurrent)}  (${pct(
      r.after.concurrent,
      r.before.concurrent,
    )})  ${opts.concurrent} appends  ${
      r.after.concurrent >= TARGET ? 'OK' : 'UNDER'
    } target ${TARGET}/s`,
  );
  console.log(
    `  verification       ${r.verify.entries.toLocaleString(
      'en-GB',
    )} entries in ${(r.verify.ms / 1000).toFixed(2)} s (${f(
      r.verify.perSecond,
    )})`,
  );
  return r.after.concurrent >= TARGET ? 0 : 1;
}

async function main() {
  const over = await onBenchDatabases(process.argv[2], 'audit', run);
  if (over) process.exitCode = 1;
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
