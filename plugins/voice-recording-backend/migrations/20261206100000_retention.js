/*
 * Retention and disposal (docs/retention.md).
 *
 *   vr_retention_policies  named ISO periods (P5Y, P7Y, P1Y) and what they apply to:
 *                          the default, catalog groups or recorded numbers; `source`
 *                          config (declared in app-config, read-only) or portal
 *   vr_retention_targets   what a group or number scope means in SQL: the users of the
 *                          groups (kind `user`, ref = user ref, lower case) and the
 *                          numbers (kind `number`, ref = E.164), `source` = the group ref
 *                          or number id they came from
 *   vr_conversations       + retention_until, retention_policy_id (null: the regulatory
 *                          minimum), and the disposal columns of a conversation being
 *                          disposed of: disposal_state (`disposing`: marked by a run;
 *                          `delete-failed`: a file could not be deleted, retried by the
 *                          next run; `held`: a legal hold came while it was disposed of),
 *                          disposal_run_id, disposal_error, disposal_attempts
 *   vr_disposal_records    what remains of a disposed conversation (one per
 *                          conversation: the primary key makes a rerun unable to double)
 *   vr_disposal_runs       the disposal job's runs (dry runs are not stored)
 *
 * Existing finished conversations get their retention when the plugin starts (it needs
 * the configured minimum and policies). Adding columns does not rebuild the SQLite
 * table, so the phone-search triggers of 20250901000000 stay.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_retention_policies', table => {
    table.comment('Retention policies (docs/retention.md)');
    table.string('id', 36).primary().notNullable();
    table
      .string('name', 100)
      .notNullable()
      .unique('vr_retention_policies_name_uq');
    table
      .string('period', 32)
      .notNullable()
      .comment('ISO 8601 duration, e.g. P5Y');
    table
      .string('scope_kind', 16)
      .notNullable()
      .comment('default | groups | numbers');
    table.text('scope').notNullable().comment('JSON RetentionScope');
    table.string('source', 16).notNullable().comment('config | portal');
    table.string('created_by', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.string('updated_by', 255).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('vr_retention_targets', table => {
    table.comment('The users and numbers a group or number scope stands for');
    table
      .string('policy_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_retention_policies')
      .onDelete('CASCADE');
    table.string('kind', 8).notNullable().comment('user | number');
    table
      .string('ref', 255)
      .notNullable()
      .comment('user ref (lower case) or E.164');
    table.string('source', 255).notNullable().comment('group ref or number id');
    table.primary(['policy_id', 'kind', 'ref', 'source']);
    table.index(['kind', 'ref', 'policy_id'], 'vr_retention_targets_ref_idx');
  });
  await knex.schema.alterTable('vr_conversations', table => {
    table.timestamp('retention_until', { useTz: true }).nullable();
    table.string('retention_policy_id', 36).nullable();
    table.string('disposal_state', 16).nullable();
    table.string('disposal_run_id', 36).nullable();
    table.text('disposal_error').nullable();
    table.integer('disposal_attempts').nullable();
  });
  await knex.schema.alterTable('vr_conversations', table => {
    table.index(['retention_until'], 'vr_conversations_retention_idx');
    table.index(['disposal_state'], 'vr_conversations_disposal_idx');
  });
  await knex.schema.createTable('vr_disposal_records', table => {
    table.comment(
      'Disposed conversations: what remains after the audio is deleted',
    );
    table.string('conversation_id', 36).primary().notNullable();
    table.string('number', 32).notNullable();
    table.string('user_ref', 255).notNullable();
    table
      .text('participants')
      .notNullable()
      .comment('JSON array of addresses/numbers');
    table.string('direction', 16).nullable();
    table.string('other_party', 255).nullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('ended_at', { useTz: true }).nullable();
    table.bigInteger('duration_ms').nullable();
    table.string('sha256', 64).nullable();
    table.string('format', 64).nullable();
    table.string('policy_id', 36).nullable();
    table.string('policy_name', 100).nullable();
    table.timestamp('retention_until', { useTz: true }).notNullable();
    table.timestamp('disposed_at', { useTz: true }).notNullable();
    table.string('job_run_id', 36).notNullable();
    table
      .text('deleted_files')
      .notNullable()
      .comment('JSON array of storage keys');
    table.index(['disposed_at'], 'vr_disposal_records_disposed_at_idx');
    table.index(['job_run_id'], 'vr_disposal_records_run_idx');
    table.index(['number'], 'vr_disposal_records_number_idx');
  });
  await knex.schema.createTable('vr_disposal_runs', table => {
    table.comment('Runs of the disposal job');
    table.string('id', 36).primary().notNullable();
    table.string('trigger', 16).notNullable().comment('scheduled | manual');
    table.string('requested_by', 255).notNullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('heartbeat_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table
      .string('state', 16)
      .notNullable()
      .comment('running | done | failed | interrupted');
    table.integer('disposed').notNullable().defaultTo(0);
    table.integer('held').notNullable().defaultTo(0);
    table.integer('failed').notNullable().defaultTo(0);
    table.text('error').nullable();
    table.index(['started_at'], 'vr_disposal_runs_started_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_disposal_runs');
  await knex.schema.dropTable('vr_disposal_records');
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropIndex([], 'vr_conversations_retention_idx');
    table.dropIndex([], 'vr_conversations_disposal_idx');
  });
  const columns = [
    'retention_until',
    'retention_policy_id',
    'disposal_state',
    'disposal_run_id',
    'disposal_error',
    'disposal_attempts',
  ];
  if (['sqlite3', 'better-sqlite3'].includes(knex.client.config.client)) {
    // SQLite's own DROP COLUMN (3.35+): knex's dropColumn would rebuild the table and
    // lose the phone-search triggers of 20250901000000
    for (const c of columns)
      await knex.raw(`ALTER TABLE vr_conversations DROP COLUMN ${c}`);
  } else {
    await knex.schema.alterTable('vr_conversations', table => {
      for (const c of columns) table.dropColumn(c);
    });
  }
  await knex.schema.dropTable('vr_retention_targets');
  await knex.schema.dropTable('vr_retention_policies');
};
