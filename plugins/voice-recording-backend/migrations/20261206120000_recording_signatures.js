/*
 * Signed recordings and the integrity sweep (docs/integrity.md).
 *
 * vr_recording_signatures: one row per signed archive. `payload` is the exact signed
 * text (canonical JSON of a SignedRecordingPayload), `signature` the base64 Ed25519
 * signature over it with the key `key_id`. Re-encoding (WAV -> Opus) adds a row whose
 * replaces_id names the signature of the archive it replaced: the chain of a
 * conversation's archives. No foreign key to vr_conversations on purpose: a signature
 * is evidence of what was archived and outlives a disposed conversation (beside its
 * disposal record); rows are never updated.
 *
 * vr_integrity_checks: the last verification of each conversation's archive (the
 * sweep picks the oldest-verified first; the portal lists the mismatches).
 * vr_integrity_sweeps: one row per sweep run with its figures.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_recording_signatures', table => {
    table.comment('Ed25519 signatures of archived recordings; never updated');
    table.string('id', 36).primary().notNullable();
    table.string('conversation_id', 36).notNullable();
    table.string('storage_key', 1024).notNullable();
    table.string('sha256', 64).notNullable();
    table.bigInteger('bytes').notNullable();
    table.string('format', 64).notNullable();
    table
      .text('payload')
      .notNullable()
      .comment('canonical JSON, the signed bytes');
    table.text('signature').notNullable().comment('base64 Ed25519');
    table.string('key_id', 64).notNullable();
    table.string('replaces_id', 36).nullable();
    table.timestamp('signed_at', { useTz: true }).notNullable();
    table.index(
      ['conversation_id'],
      'vr_recording_signatures_conversation_idx',
    );
  });
  await knex.schema.createTable('vr_integrity_checks', table => {
    table.comment('Last integrity verification of each conversation archive');
    table.string('conversation_id', 36).primary().notNullable();
    table.timestamp('checked_at', { useTz: true }).notNullable();
    table
      .string('outcome', 24)
      .notNullable()
      .comment('ok | mismatch | missing | bad-signature | signed');
    table.text('message').nullable();
    table.string('sha256', 64).nullable().comment('hash found');
    table
      .string('sweep_id', 36)
      .nullable()
      .comment('null: verified on request');
    table.index(['checked_at'], 'vr_integrity_checks_checked_at_idx');
    table.index(['outcome'], 'vr_integrity_checks_outcome_idx');
  });
  await knex.schema.createTable('vr_integrity_sweeps', table => {
    table.comment('Integrity sweep runs and their figures');
    table.string('id', 36).primary().notNullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.string('state', 16).notNullable().comment('running | done | failed');
    table.integer('checked').notNullable().defaultTo(0);
    table.integer('ok').notNullable().defaultTo(0);
    table.integer('mismatches').notNullable().defaultTo(0);
    table.integer('missing').notNullable().defaultTo(0);
    table.integer('signed').notNullable().defaultTo(0);
    table.bigInteger('bytes').notNullable().defaultTo(0);
    table.text('error').nullable();
    table.index(['started_at'], 'vr_integrity_sweeps_started_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_integrity_sweeps');
  await knex.schema.dropTable('vr_integrity_checks');
  await knex.schema.dropTable('vr_recording_signatures');
};
