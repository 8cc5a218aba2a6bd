/*
 * Four-eyes access (docs/permissions.md "Four-eyes"):
 *
 *   vr_four_eyes_users     the users flagged four-eyes by an admin, with their observer
 *                          (a user or a group entity ref)
 *   vr_four_eyes_sessions  the sessions they ask: pending until an observer confirms
 *                          (until expires_at) or rejects; expired, cancelled
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_four_eyes_users', table => {
    table.string('user_ref', 255).primary();
    table.string('observer_ref', 255).notNullable();
    table.string('set_by', 255).notNullable();
    table.timestamp('set_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('vr_four_eyes_sessions', table => {
    table.uuid('id').primary();
    table.string('user_ref', 255).notNullable();
    table.string('observer_ref', 255).notNullable();
    table.string('state', 16).notNullable();
    table.timestamp('requested_at', { useTz: true }).notNullable();
    table.string('decided_by', 255).nullable();
    table.timestamp('decided_at', { useTz: true }).nullable();
    table.timestamp('expires_at', { useTz: true }).nullable();
    table.index(['user_ref', 'requested_at'], 'vr_four_eyes_sessions_user_idx');
    table.index(['state', 'observer_ref'], 'vr_four_eyes_sessions_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_four_eyes_sessions');
  await knex.schema.dropTable('vr_four_eyes_users');
};
