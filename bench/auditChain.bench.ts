/*
 * Audit trail append and verification cost (bench/auditChain.js): appends/s as the
 * plugin wrote them before the hash chain (one INSERT per entry) and with it
 * (KnexAuditLogStore: lock, head read, chained INSERT; grouped under load), one at a
 * time and with many in flight (recording accesses of many users at once), and the
 * verification walk's entries/s.
 */
import { Knex } from 'knex';
import {
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
} from '@mvr/plugin-voice-recording-node';
import { KnexAuditLogStore } from '../plugins/voice-recording-backend/src/database/AuditLogStore';
import { AuditHeadsStore } from '../plugins/voice-recording-backend/src/database/AuditHeadsStore';
import { migrationConfig } from '../plugins/voice-recording-backend/src/database/util';
import { AuditChainVerifier } from '../plugins/voice-recording-backend/src/service/audit/AuditChainVerifier';

/** An entry like the one of a recording access (GET /conversations/:id/audio). */
const entry = (i: number) => ({
  actorRef: `user:default/user${i % 50}`,
  action: 'conversation-audio',
  targetType: 'conversation',
  targetId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  details: {
    number: '+32470123456',
    userRef: 'user:default/bob',
    direction: 'outgoing',
    otherParty: '+32475111222',
    durationMs: 61_000,
    range: 'bytes=0-',
    outcome: 'succeeded',
  },
});

async function rate(
  n: number,
  inFlight: number,
  append: (i: number) => Promise<unknown>,
) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await append(next++);
    }),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { n, inFlight, ms, perSecond: (n / ms) * 1000 };
}

export interface AuditBenchResult {
  before: { sequential: number; concurrent: number };
  after: { sequential: number; concurrent: number };
  verify: { entries: number; ms: number; perSecond: number };
}

export async function runAuditChainBench(
  knex: Knex,
  opts: {
    sequential: number;
    concurrent: number;
    inFlight: number;
    verify: number;
    rounds: number;
  },
): Promise<AuditBenchResult> {
  await knex.migrate.latest(migrationConfig);
  // before: the table as the plugin had it before the chain (the init migration's
  // columns and indexes), written as the plugin wrote it (one INSERT per entry), in
  // the same database, in rounds alternating with the chained store (the machine's
  // load changes over a run: alternating keeps it out of the comparison)
  await knex.schema.createTable('vr_audit_log_before', table => {
    table.bigIncrements('id').primary();
    table
      .timestamp('at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.string('actor_ref', 255).notNullable();
    table.string('action', 64).notNullable();
    table.string('target_type', 64).nullable();
    table.string('target_id', 255).nullable();
    table.text('details').nullable();
    table.index(['at'], 'vr_audit_log_before_at_idx');
    table.index(['actor_ref'], 'vr_audit_log_before_actor_idx');
    table.index(['target_type', 'target_id'], 'vr_audit_log_before_target_idx');
  });
  const plain = (i: number) => {
    const e = entry(i);
    return knex('vr_audit_log_before').insert({
      at: new Date(),
      actor_ref: e.actorRef,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      details: JSON.stringify(e.details),
    });
  };
  const store = new KnexAuditLogStore(knex);
  const chained = (i: number) => store.append(entry(i));
  const sums = {
    bs: 0,
    as: 0,
    bc: 0,
    ac: 0,
    bsMs: 0,
    asMs: 0,
    bcMs: 0,
    acMs: 0,
  };
  const seqN = Math.ceil(opts.sequential / opts.rounds);
  const conN = Math.ceil(opts.concurrent / opts.rounds);
  for (let r = 0; r < opts.rounds; r++) {
    const b1 = await rate(seqN, 1, plain);
    const a1 = await rate(seqN, 1, chained);
    const b2 = await rate(conN, opts.inFlight, plain);
    const a2 = await rate(conN, opts.inFlight, chained);
    sums.bs += b1.n;
    sums.bsMs += b1.ms;
    sums.as += a1.n;
    sums.asMs += a1.ms;
    sums.bc += b2.n;
    sums.bcMs += b2.ms;
    sums.ac += a2.n;
    sums.acMs += a2.ms;
  }
  const per = (n: number, ms: number) => (n / ms) * 1000;
  const beforeSeq = { perSecond: per(sums.bs, sums.bsMs) };
  const afterSeq = { perSecond: per(sums.as, sums.asMs) };
  const beforeCon = { perSecond: per(sums.bc, sums.bcMs) };
  const afterCon = { perSecond: per(sums.ac, sums.acMs) };

  // the verification: fill up to `verify` entries, then walk
  const have = Number((await knex('vr_audit_log').count({ n: '*' }))[0].n);
  if (opts.verify > have)
    await rate(opts.verify - have, opts.inFlight, chained);
  const verifier = new AuditChainVerifier({
    log: store,
    heads: new AuditHeadsStore(knex),
    publicKey: createEd25519Signer(generateEd25519PrivateKeyPem()),
  });
  const t = process.hrtime.bigint();
  const result = await verifier.verify();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (!result.ok)
    throw new Error(`chain not intact: ${JSON.stringify(result)}`);
  return {
    before: {
      sequential: beforeSeq.perSecond,
      concurrent: beforeCon.perSecond,
    },
    after: { sequential: afterSeq.perSecond, concurrent: afterCon.perSecond },
    verify: {
      entries: result.checked,
      ms,
      perSecond: (result.checked / ms) * 1000,
    },
  };
}
