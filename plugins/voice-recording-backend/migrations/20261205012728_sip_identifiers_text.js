/*
 * SIP identifiers of any legal length: the Call-ID and the SIPREC session id of
 * conversations and refused sessions were varchar(255), so a legal 300-character Call-ID
 * failed the insert on PostgreSQL and the recorder answered 503 (retried for ever by the
 * client), and its refused-session evidence was lost. They become text. What is stored
 * is the identifier's stored form (storedSipIdentifier in @mvr/plugin-voice-recording-node):
 * a legal Call-ID as it is up to 1024 characters, control bytes and non-ASCII escaped,
 * longer ones cut with the SHA-256 of the whole, so the (non-unique) btree indexes on
 * sip_call_id take every value.
 *
 * SQLite does not enforce varchar lengths: nothing to change there (and altering a column
 * would rebuild vr_conversations and lose the phone-search triggers of 20250901000000).
 */

const COLUMNS = [
  ['vr_conversations', 'sip_call_id'],
  ['vr_conversations', 'siprec_session_id'],
  ['vr_refused_sessions', 'sip_call_id'],
  ['vr_refused_sessions', 'siprec_session_id'],
];

const isSqlite = knex =>
  ['sqlite3', 'better-sqlite3'].includes(knex.client.config.client);

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  if (isSqlite(knex)) return;
  for (const [table, column] of COLUMNS) {
    await knex.raw('ALTER TABLE ?? ALTER COLUMN ?? TYPE text', [table, column]);
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  if (isSqlite(knex)) return;
  for (const [table, column] of COLUMNS) {
    // longer values are cut: varchar(255) cannot hold them
    await knex.raw(
      'ALTER TABLE ?? ALTER COLUMN ?? TYPE varchar(255) USING left(??, 255)',
      [table, column, column],
    );
  }
};
