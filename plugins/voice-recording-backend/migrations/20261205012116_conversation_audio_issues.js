/*
 * Recordings without usable audio (no RTP at all, or only codecs the recorder cannot
 * decode) are flagged when their recorder archives them:
 *
 *   audio_issues  JSON array of issue codes, e.g. ["no-media"], ["undecodable-codec"];
 *                 null when the recording has audio (and for rows from before this)
 *
 * The index serves the search filter `audioIssue` (a handful of rows among millions).
 * Adding a column does not rebuild the SQLite table, so the phone-search triggers of
 * 20250901000000 stay.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.string('audio_issues', 255).nullable();
  });
  await knex.schema.alterTable('vr_conversations', table => {
    table.index(['audio_issues'], 'vr_conversations_audio_issues_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropIndex([], 'vr_conversations_audio_issues_idx');
  });
  if (['sqlite3', 'better-sqlite3'].includes(knex.client.config.client)) {
    // SQLite's own DROP COLUMN (3.35+): knex's dropColumn would rebuild the table and
    // lose the phone-search triggers of 20250901000000
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN audio_issues');
    return;
  }
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropColumn('audio_issues');
  });
};
