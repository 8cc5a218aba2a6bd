/*
 * Background compression of archives (recorder `opus.encode: background`): a call is
 * registered at its end with a lossless interim archive (WAV), and its recorder later
 * replaces it with the Ogg/Opus archive.
 *
 *   compress_to             target format of the pending compression ('opus'), null when none
 *   superseded_storage_key  the replaced interim archive, kept until its file is deleted
 *
 * Both are set only on finished conversations; the index serves the recorder's queue
 * (a handful of rows among millions). Adding columns does not rebuild the SQLite table,
 * so the phone-search triggers of 20250901000000 stay.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.string('compress_to', 16).nullable();
    table.string('superseded_storage_key', 1024).nullable();
  });
  await knex.schema.alterTable('vr_conversations', table => {
    table.index(['capture_source', 'compress_to'], 'vr_conversations_compress_idx');
    table.index(['capture_source', 'superseded_storage_key'], 'vr_conversations_superseded_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropIndex([], 'vr_conversations_compress_idx');
    table.dropIndex([], 'vr_conversations_superseded_idx');
  });
  if (['sqlite3', 'better-sqlite3'].includes(knex.client.config.client)) {
    // SQLite's own DROP COLUMN (3.35+): knex's dropColumn would rebuild the table and
    // lose the phone-search triggers of 20250901000000
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN compress_to');
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN superseded_storage_key');
    return;
  }
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropColumn('compress_to');
    table.dropColumn('superseded_storage_key');
  });
};
