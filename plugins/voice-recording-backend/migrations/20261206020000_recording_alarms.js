/*
 * Recording alarms (proof of recording, docs/operations.md "Recording health"): one row
 * per problem worth telling an admin about, raised by the alarm evaluation, re-raised
 * daily while it lasts, resolved when it is gone, acknowledged by an admin with a comment.
 *
 *   kind                silent-number | refusals | failed-quality | idle-recorder
 *   subject             what the alarm is about: the recorded number's id, or the
 *                       recorder instance (idle-recorder)
 *   recorded_number_id  the number (null for idle-recorder, or once the number is deleted)
 *   number              the number in E.164 when the alarm was raised (kept after deletion)
 *   recorder_instance   the recorder instance (idle-recorder)
 *   state               open | acknowledged | resolved
 *   severity            warning | failed
 *   summary             one sentence with the figures
 *   figures             JSON object of the figures behind the summary
 *   open_key            "<kind>:<subject>" while the alarm is not resolved, null once it
 *                       is: the unique index allows one unresolved alarm per (kind,
 *                       subject) on SQLite and PostgreSQL alike (NULLs are distinct)
 *
 * And an index of vr_conversations on (recorded_number_id, state, started_at): the last
 * recorded call of each number is a seek (adding an index does not rebuild the SQLite
 * table, so the phone-search triggers of 20250901000000 stay).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_recording_alarms', table => {
    table.comment('Recording health alarms (one per problem, not per call)');
    table.string('id', 36).primary().notNullable();
    table.string('kind', 32).notNullable();
    table.string('subject', 255).notNullable();
    table
      .string('recorded_number_id', 36)
      .nullable()
      .references('id')
      .inTable('vr_numbers')
      .onDelete('SET NULL');
    table.string('number', 32).nullable();
    table.string('recorder_instance', 255).nullable();
    table.string('state', 16).notNullable();
    table.string('severity', 16).notNullable();
    table.text('summary').notNullable();
    table.text('figures').nullable().comment('JSON object');
    table.timestamp('raised_at', { useTz: true }).notNullable();
    table.timestamp('last_raised_at', { useTz: true }).notNullable();
    table.timestamp('resolved_at', { useTz: true }).nullable();
    table.timestamp('acknowledged_at', { useTz: true }).nullable();
    table.string('acknowledged_by', 255).nullable();
    table.text('acknowledge_comment').nullable();
    table.string('open_key', 300).nullable();
    table.unique(['open_key'], { indexName: 'vr_recording_alarms_open_key' });
    table.index(['state', 'raised_at'], 'vr_recording_alarms_state_idx');
    table.index(
      ['recorded_number_id', 'raised_at'],
      'vr_recording_alarms_number_idx',
    );
    table.index(['kind', 'subject'], 'vr_recording_alarms_subject_idx');
  });
  // the evaluation's "last recorded call of each number": index seeks, no table rows
  await knex.schema.alterTable('vr_conversations', table => {
    table.index(
      ['recorded_number_id', 'state', 'started_at'],
      'vr_conversations_number_state_started_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropIndex([], 'vr_conversations_number_state_started_idx');
  });
  await knex.schema.dropTable('vr_recording_alarms');
};
