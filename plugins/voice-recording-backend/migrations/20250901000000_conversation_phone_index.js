/*
 * Partial phone search (`phone=<3 or more digits>`: a substring of either party's digits)
 * through an index on every database.
 *
 * SQLite: an FTS5 trigram index over the digits of both parties, instead of a scan of every
 * conversation. PostgreSQL keeps its pg_trgm GIN indexes (20250801000000_conversation_search).
 *
 *   vr_conversations_phone      one row per conversation: conversation_id (unique) and the
 *                               two digit columns; its INTEGER PRIMARY KEY is the FTS rowid
 *                               (stable across VACUUM, unlike vr_conversations' own rowid)
 *   vr_conversations_phone_fts  FTS5 (tokenize = trigram), external content = the table above
 *
 * Both are kept in sync by triggers, whoever writes vr_conversations (the store, imports,
 * the benchmark's INSERT ... SELECT, a retention DELETE). Note for later migrations: knex
 * rebuilds a SQLite table for some `alterTable` operations (alter/drop column), which drops
 * its triggers; such a migration must run `createConversationTriggers` again (until then the
 * search sees a trigger missing and falls back to LIKE, never to a stale index).
 * A SQLite build without FTS5 or the trigram tokenizer (SQLite < 3.34) gets no FTS index:
 * the search then uses LIKE (same results, scans).
 *
 * Every database: the index on number_digits becomes (number_digits, other_party_digits),
 * same equality lookups, and a partial number matching a large share of all conversations
 * is counted from this index alone (PostgreSQL index-only scan) instead of the table.
 */

const isSqlite = knex =>
  ['sqlite3', 'better-sqlite3'].includes(knex.client.config.client);

async function createConversationTriggers(knex) {
  await knex.raw(`
    CREATE TRIGGER vr_conversations_phone_ai AFTER INSERT ON vr_conversations BEGIN
      INSERT INTO vr_conversations_phone (conversation_id, number_digits, other_party_digits)
      VALUES (new.id, new.number_digits, new.other_party_digits);
    END`);
  await knex.raw(`
    CREATE TRIGGER vr_conversations_phone_au
    AFTER UPDATE OF id, number_digits, other_party_digits ON vr_conversations BEGIN
      UPDATE vr_conversations_phone
      SET conversation_id = new.id, number_digits = new.number_digits,
          other_party_digits = new.other_party_digits
      WHERE conversation_id = old.id;
    END`);
  await knex.raw(`
    CREATE TRIGGER vr_conversations_phone_ad AFTER DELETE ON vr_conversations BEGIN
      DELETE FROM vr_conversations_phone WHERE conversation_id = old.id;
    END`);
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.index(
      ['number_digits', 'other_party_digits'],
      'vr_conversations_digits_idx',
    );
    table.dropIndex([], 'vr_conversations_number_digits_idx');
  });
  if (!isSqlite(knex)) return;
  try {
    await knex.raw(
      "CREATE VIRTUAL TABLE temp.vr_trigram_probe USING fts5(x, tokenize = 'trigram')",
    );
    await knex.raw('DROP TABLE temp.vr_trigram_probe');
  } catch {
    return; // no FTS5 trigram tokenizer in this SQLite: the partial match scans
  }
  await knex.raw(`
    CREATE TABLE vr_conversations_phone (
      rowid INTEGER PRIMARY KEY,
      conversation_id VARCHAR(36) NOT NULL UNIQUE,
      number_digits VARCHAR(32),
      other_party_digits VARCHAR(255)
    )`);
  await knex.raw(`
    CREATE VIRTUAL TABLE vr_conversations_phone_fts USING fts5(
      number_digits, other_party_digits,
      content = 'vr_conversations_phone', content_rowid = 'rowid',
      tokenize = 'trigram', columnsize = 0
    )`);
  // keep the FTS index in step with its content table
  await knex.raw(`
    CREATE TRIGGER vr_conversations_phone_fts_ai AFTER INSERT ON vr_conversations_phone BEGIN
      INSERT INTO vr_conversations_phone_fts (rowid, number_digits, other_party_digits)
      VALUES (new.rowid, new.number_digits, new.other_party_digits);
    END`);
  await knex.raw(`
    CREATE TRIGGER vr_conversations_phone_fts_ad AFTER DELETE ON vr_conversations_phone BEGIN
      INSERT INTO vr_conversations_phone_fts (vr_conversations_phone_fts, rowid, number_digits, other_party_digits)
      VALUES ('delete', old.rowid, old.number_digits, old.other_party_digits);
    END`);
  await knex.raw(`
    CREATE TRIGGER vr_conversations_phone_fts_au AFTER UPDATE ON vr_conversations_phone BEGIN
      INSERT INTO vr_conversations_phone_fts (vr_conversations_phone_fts, rowid, number_digits, other_party_digits)
      VALUES ('delete', old.rowid, old.number_digits, old.other_party_digits);
      INSERT INTO vr_conversations_phone_fts (rowid, number_digits, other_party_digits)
      VALUES (new.rowid, new.number_digits, new.other_party_digits);
    END`);
  // conversations recorded before this migration (the FTS triggers index them)
  await knex.raw(`
    INSERT INTO vr_conversations_phone (conversation_id, number_digits, other_party_digits)
    SELECT id, number_digits, other_party_digits FROM vr_conversations`);
  await createConversationTriggers(knex);
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table.index(['number_digits'], 'vr_conversations_number_digits_idx');
    table.dropIndex([], 'vr_conversations_digits_idx');
  });
  if (!isSqlite(knex)) return;
  for (const t of [
    'vr_conversations_phone_ai',
    'vr_conversations_phone_au',
    'vr_conversations_phone_ad',
  ]) {
    await knex.raw(`DROP TRIGGER IF EXISTS ${t}`);
  }
  await knex.raw('DROP TABLE IF EXISTS vr_conversations_phone_fts');
  await knex.raw('DROP TABLE IF EXISTS vr_conversations_phone');
};

exports.createConversationTriggers = createConversationTriggers;
