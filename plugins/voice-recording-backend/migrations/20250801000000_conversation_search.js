/*
 * Conversation search: digits-only copies of the recorded number and of the other
 * party (phone search matches digits, whatever the input format), and the indexes of
 * the search's filters and keyset pagination (sort value + id).
 *
 * On PostgreSQL, when the pg_trgm extension can be enabled, trigram GIN indexes make the
 * partial phone match (LIKE '%digits%') an index scan; without it the match scans.
 */

const digitsOf = value => (value ? String(value).replace(/\D/g, '') : null);

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_conversations', table => {
    table
      .string('number_digits', 32)
      .nullable()
      .comment('digits of number (phone search)');
    table
      .string('other_party_digits', 255)
      .nullable()
      .comment('digits of other_party (phone search)');
  });
  // backfill (conversations recorded before this migration)
  const rows = await knex('vr_conversations').select(
    'id',
    'number',
    'other_party',
  );
  for (const r of rows) {
    await knex('vr_conversations')
      .where('id', r.id)
      .update({
        number_digits: digitsOf(r.number),
        other_party_digits: digitsOf(r.other_party),
      });
  }
  await knex.schema.alterTable('vr_conversations', table => {
    // keyset pagination and ordering by start (the default sort), alone or per user
    table.index(['started_at', 'id'], 'vr_conversations_started_id_idx');
    table.index(
      ['user_ref', 'started_at', 'id'],
      'vr_conversations_user_started_idx',
    );
    table.index(
      ['number', 'started_at', 'id'],
      'vr_conversations_number_started_idx',
    );
    table.index(['number_digits'], 'vr_conversations_number_digits_idx');
    table.index(
      ['other_party_digits'],
      'vr_conversations_other_digits_idx',
    );
  });
  if (knex.client.config.client === 'pg') {
    let trgm = false;
    try {
      await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      trgm = true;
    } catch {
      trgm = false; // not allowed here: the partial phone match scans instead
    }
    if (trgm) {
      await knex.raw(
        'CREATE INDEX vr_conversations_number_digits_trgm ON vr_conversations USING gin (number_digits gin_trgm_ops)',
      );
      await knex.raw(
        'CREATE INDEX vr_conversations_other_digits_trgm ON vr_conversations USING gin (other_party_digits gin_trgm_ops)',
      );
    }
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client === 'pg') {
    await knex.raw('DROP INDEX IF EXISTS vr_conversations_number_digits_trgm');
    await knex.raw('DROP INDEX IF EXISTS vr_conversations_other_digits_trgm');
  }
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropIndex([], 'vr_conversations_started_id_idx');
    table.dropIndex([], 'vr_conversations_user_started_idx');
    table.dropIndex([], 'vr_conversations_number_started_idx');
    table.dropIndex([], 'vr_conversations_number_digits_idx');
    table.dropIndex([], 'vr_conversations_other_digits_idx');
  });
  await knex.schema.alterTable('vr_conversations', table => {
    table.dropColumn('number_digits');
    table.dropColumn('other_party_digits');
  });
};
