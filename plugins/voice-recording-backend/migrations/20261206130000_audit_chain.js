/*
 * The tamper-evident audit trail (docs/audit-trail.md).
 *
 * 1. vr_audit_log becomes a hash chain: every entry gets `seq` (1, 2, 3, ... without
 *    gaps, in append order), `prev_hash` (the previous entry's `hash`; 64 zeros for
 *    the first) and `hash`:
 *
 *      hash = hex(SHA-256(canonicalJson({
 *        v: 1, seq, prevHash, at, actorRef, action, targetType?, targetId?, details?
 *      })))
 *
 *    `at` as an ISO 8601 UTC instant with milliseconds, `details` the stored JSON
 *    parsed (so that key order and white space do not matter), absent members left
 *    out. The existing rows are chained here in id order.
 *
 * 2. Append-only: triggers refuse UPDATE and DELETE of audit rows (and TRUNCATE on
 *    PostgreSQL), for every database user that does not first drop or disable them.
 *
 * 3. vr_audit_heads: one signed chain head per past day (UTC), never changed either.
 *
 * The functions below are a frozen copy of the hashing in
 * src/database/auditChain.ts: a migration must keep doing what it did when it ran.
 */
const { createHash } = require('node:crypto');

const GENESIS = '0'.repeat(64);

function canonicalJson(value) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value
      .map(v => (v === undefined ? 'null' : canonicalJson(v)))
      .join(',')}]`;
  const keys = Object.keys(value)
    .filter(k => value[k] !== undefined)
    .sort();
  return `{${keys
    .map(k => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(',')}}`;
}

function toIso(value) {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return new Date(Number(value)).toISOString();
    const d = new Date(
      value.includes('T') ? value : `${value.replace(' ', 'T')}Z`,
    );
    return Number.isNaN(d.getTime()) ? value : d.toISOString();
  }
  return new Date(0).toISOString();
}

function parseDetails(text) {
  if (text === null || text === undefined || text === '') return undefined;
  if (typeof text === 'object') return text;
  try {
    return JSON.parse(text);
  } catch {
    return String(text);
  }
}

function entryHash(row, seq, prevHash) {
  return createHash('sha256')
    .update(
      canonicalJson({
        v: 1,
        seq,
        prevHash,
        at: toIso(row.at),
        actorRef: row.actor_ref,
        action: row.action,
        targetType: row.target_type ?? undefined,
        targetId: row.target_id ?? undefined,
        details: parseDetails(row.details),
      }),
      'utf8',
    )
    .digest('hex');
}

const isPg = knex => knex.client.config.client === 'pg';

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_audit_log', table => {
    table
      .bigInteger('seq')
      .nullable()
      .comment('Position in the hash chain: 1, 2, 3, ... in append order');
    table
      .string('prev_hash', 64)
      .nullable()
      .comment('hash of the entry seq - 1 (64 zeros for the first)');
    table
      .string('hash', 64)
      .nullable()
      .comment('SHA-256 of the canonical entry (docs/audit-trail.md)');
  });

  // chain what is there, in id order, in batches
  let seq = 0;
  let prevHash = GENESIS;
  let lastId = 0;
  for (;;) {
    const rows = await knex('vr_audit_log')
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(1000)
      .select('id', 'at', 'actor_ref', 'action', 'target_type', 'target_id', 'details');
    if (rows.length === 0) break;
    const chained = [];
    for (const row of rows) {
      seq += 1;
      const hash = entryHash(row, seq, prevHash);
      chained.push({ id: row.id, seq, prevHash, hash });
      prevHash = hash;
      lastId = Number(row.id);
    }
    if (isPg(knex)) {
      // one statement per batch
      await knex.raw(
        `UPDATE vr_audit_log AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
         FROM (VALUES ${chained.map(() => '(?::bigint, ?::bigint, ?, ?)').join(', ')})
           AS v(id, seq, prev_hash, hash)
         WHERE a.id = v.id`,
        chained.flatMap(c => [c.id, c.seq, c.prevHash, c.hash]),
      );
    } else {
      for (const c of chained)
        await knex('vr_audit_log')
          .where('id', c.id)
          .update({ seq: c.seq, prev_hash: c.prevHash, hash: c.hash });
    }
  }

  await knex.schema.alterTable('vr_audit_log', table => {
    table.unique(['seq'], { indexName: 'vr_audit_log_seq_uq' });
  });
  if (isPg(knex)) {
    await knex.raw(`ALTER TABLE vr_audit_log
      ALTER COLUMN seq SET NOT NULL,
      ALTER COLUMN prev_hash SET NOT NULL,
      ALTER COLUMN hash SET NOT NULL`);
  }

  await knex.schema.createTable('vr_audit_heads', table => {
    table.comment('Signed daily heads of the audit hash chain; never changed');
    table.string('day', 10).primary().notNullable().comment('YYYY-MM-DD (UTC)');
    table
      .bigInteger('seq')
      .notNullable()
      .comment('seq of the last entry appended before the end of the day');
    table.string('hash', 64).notNullable();
    table.string('key_id', 32).notNullable();
    table.text('payload').notNullable().comment('the signed canonical JSON');
    table.text('signature').notNullable().comment('base64 Ed25519');
    table.timestamp('signed_at', { useTz: true }).notNullable();
  });

  if (isPg(knex)) {
    await knex.raw(`CREATE OR REPLACE FUNCTION vr_audit_append_only() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    for (const t of ['vr_audit_log', 'vr_audit_heads']) {
      await knex.raw(`CREATE TRIGGER ${t}_append_only
        BEFORE UPDATE OR DELETE ON ${t}
        FOR EACH ROW EXECUTE FUNCTION vr_audit_append_only()`);
      await knex.raw(`CREATE TRIGGER ${t}_no_truncate
        BEFORE TRUNCATE ON ${t}
        FOR EACH STATEMENT EXECUTE FUNCTION vr_audit_append_only()`);
    }
  } else {
    for (const t of ['vr_audit_log', 'vr_audit_heads']) {
      for (const op of ['UPDATE', 'DELETE']) {
        await knex.raw(`CREATE TRIGGER ${t}_no_${op.toLowerCase()}
          BEFORE ${op} ON ${t}
          BEGIN SELECT RAISE(ABORT, '${t} is append-only: ${op} refused'); END`);
      }
    }
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  if (isPg(knex)) {
    for (const t of ['vr_audit_log', 'vr_audit_heads']) {
      await knex.raw(`DROP TRIGGER IF EXISTS ${t}_append_only ON ${t}`);
      await knex.raw(`DROP TRIGGER IF EXISTS ${t}_no_truncate ON ${t}`);
    }
    await knex.raw('DROP FUNCTION IF EXISTS vr_audit_append_only()');
  } else {
    for (const t of ['vr_audit_log', 'vr_audit_heads'])
      for (const op of ['update', 'delete'])
        await knex.raw(`DROP TRIGGER IF EXISTS ${t}_no_${op}`);
  }
  await knex.schema.dropTable('vr_audit_heads');
  await knex.schema.alterTable('vr_audit_log', table => {
    table.dropUnique(['seq'], 'vr_audit_log_seq_uq');
  });
  await knex.schema.alterTable('vr_audit_log', table => {
    table.dropColumn('hash');
    table.dropColumn('prev_hash');
    table.dropColumn('seq');
  });
};
