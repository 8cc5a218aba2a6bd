/*
 * Recorded conversations and refused recording sessions, written by capture sources
 * (recorders such as the SIPREC module) through the plugin's capture context.
 *
 * A conversation keeps the recorded number and its user as they were at the time of the
 * call: deleting the number later only clears recorded_number_id.
 * JSON columns are text (portable across SQLite and PostgreSQL).
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_conversations', table => {
    table.comment('Recorded calls (one row per recorded conversation)');
    table.string('id', 36).primary().notNullable().comment('stable UUID');
    table
      .string('recorded_number_id', 36)
      .nullable()
      .references('id')
      .inTable('vr_numbers')
      .onDelete('SET NULL');
    table.string('number', 32).notNullable().comment('recorded number, E.164');
    table.string('user_ref', 255).notNullable();
    table.string('direction', 16).nullable().comment('incoming | outgoing');
    table.string('other_party', 255).nullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('ended_at', { useTz: true }).nullable();
    table.bigInteger('duration_ms').nullable();
    table.string('codec', 64).nullable();
    table.string('sip_call_id', 255).notNullable();
    table.string('siprec_session_id', 255).nullable();
    table.text('participants').notNullable().comment('JSON array');
    table.text('metadata').notNullable().comment('JSON object');
    table.text('dtmf').notNullable().comment('JSON array');
    table.text('quality').nullable().comment('JSON object');
    table
      .string('state', 16)
      .notNullable()
      .defaultTo('recording')
      .comment('recording | finished | failed');
    table.string('ended_by', 32).nullable();
    table.text('failure_reason').nullable();
    table.string('storage_key', 1024).nullable();
    table.string('sha256', 64).nullable();
    table.bigInteger('bytes').nullable();
    table.string('format', 64).nullable();
    table.string('capture_source', 64).notNullable();
    table.string('capture_instance', 255).nullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['started_at'], 'vr_conversations_started_at_idx');
    table.index(['recorded_number_id'], 'vr_conversations_number_id_idx');
    table.index(['user_ref'], 'vr_conversations_user_ref_idx');
    table.index(['number'], 'vr_conversations_number_idx');
    table.index(['other_party'], 'vr_conversations_other_party_idx');
    table.index(['sip_call_id'], 'vr_conversations_sip_call_id_idx');
    table.index(['state'], 'vr_conversations_state_idx');
  });

  await knex.schema.createTable('vr_refused_sessions', table => {
    table.comment(
      'Recording sessions the recorder refused (proof of recording)',
    );
    table.string('id', 36).primary().notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table
      .string('recorded_number_id', 36)
      .nullable()
      .references('id')
      .inTable('vr_numbers')
      .onDelete('SET NULL');
    table.string('number', 32).nullable().comment('recorded number, E.164');
    table.string('user_ref', 255).nullable();
    table.text('participants').notNullable().comment('JSON array');
    table.string('reason', 64).notNullable();
    table.text('message').nullable();
    table.string('sip_call_id', 255).notNullable();
    table.string('siprec_session_id', 255).nullable();
    table.integer('response_code').notNullable();
    table.string('capture_source', 64).notNullable();
    table.string('capture_instance', 255).nullable();
    table.index(['at'], 'vr_refused_sessions_at_idx');
    table.index(['recorded_number_id'], 'vr_refused_sessions_number_id_idx');
    table.index(['number'], 'vr_refused_sessions_number_idx');
    table.index(['sip_call_id'], 'vr_refused_sessions_sip_call_id_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_refused_sessions');
  await knex.schema.dropTable('vr_conversations');
};
