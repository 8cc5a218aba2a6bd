/*
 * Mid-call changes of a conversation's participants (SIPREC metadata updates in a
 * re-INVITE or UPDATE: transfers, conferences, an SBC that names the real party later),
 * and recordings the recorder stopped mid-call because the policy no longer allowed them.
 *
 *   participant_history  JSON array, oldest first: { aor, number?, name?, recorded?, from, to? }
 *                        per participant period (who was on the call when); null for
 *                        conversations recorded before
 *   recording_stopped    JSON { at, reason, message } when the recorder stopped recording
 *                        the call in progress (ended_by 'policy'), else null
 *
 * Adding columns does not rebuild the SQLite table, so the phone-search triggers of
 * 20250901000000 stay.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.text('participant_history').nullable();
    table.text('recording_stopped').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  if (['sqlite3', 'better-sqlite3'].includes(knex.client.config.client)) {
    // SQLite's own DROP COLUMN (3.35+): knex's dropColumn would rebuild the table and
    // lose the phone-search triggers of 20250901000000
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN participant_history');
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN recording_stopped');
    return;
  }
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropColumn('participant_history');
    table.dropColumn('recording_stopped');
  });
};
