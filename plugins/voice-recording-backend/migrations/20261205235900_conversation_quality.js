/*
 * The quality check a recorder makes as it archives each call:
 *
 *   quality_verdict  'ok' | 'warning' | 'failed'; null for rows archived before
 *                    recorders made the check (or with the check turned off)
 *   quality_check    JSON: { verdict, reasons: [{ code, severity, text }], channels,
 *                    packetLossShare, longestGapMs, checkedAt }
 *
 * The index serves the search filter `quality` (e.g. the failed calls among millions).
 * Adding columns does not rebuild the SQLite table, so the phone-search triggers of
 * 20250901000000 stay.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.string('quality_verdict', 16).nullable();
    table.text('quality_check').nullable();
  });
  await knex.schema.alterTable('vr_conversations', table => {
    table.index(['quality_verdict'], 'vr_conversations_quality_verdict_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropIndex([], 'vr_conversations_quality_verdict_idx');
  });
  if (['sqlite3', 'better-sqlite3'].includes(knex.client.config.client)) {
    // SQLite's own DROP COLUMN (3.35+): knex's dropColumn would rebuild the table and
    // lose the phone-search triggers of 20250901000000
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN quality_check');
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN quality_verdict');
    return;
  }
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropColumn('quality_check');
    table.dropColumn('quality_verdict');
  });
};
