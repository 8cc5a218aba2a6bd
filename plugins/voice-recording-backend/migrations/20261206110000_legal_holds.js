/*
 * Legal holds (docs/compliance.md "Legal hold"): a hold on a case holds every
 * conversation carrying the case's label, now or later. A conversation is held while
 * a hold on one of its labels is `active` or `release-requested`:
 *
 *   EXISTS (SELECT 1 FROM vr_conversation_labels cl
 *           JOIN vr_legal_holds h ON h.label_id = cl.label_id
 *           WHERE cl.conversation_id = c.id AND h.state <> 'released')
 *
 * Releasing needs two admins: one requests (release_requested_*), another approves
 * (released_*). Rows are never deleted: the table is the holds' history.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_legal_holds', table => {
    table.comment('Legal holds on cases (their labels); never deleted');
    table.string('id', 36).primary().notNullable();
    table
      .string('case_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_cases')
      .onDelete('RESTRICT');
    table
      .string('label_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_labels')
      .onDelete('RESTRICT');
    table.text('reason').notNullable();
    table.string('reference', 200).notNullable();
    table
      .string('state', 24)
      .notNullable()
      .comment('active | release-requested | released');
    table.string('placed_by', 255).notNullable();
    table.timestamp('placed_at', { useTz: true }).notNullable();
    table.string('release_requested_by', 255).nullable();
    table.timestamp('release_requested_at', { useTz: true }).nullable();
    table.text('release_reason').nullable();
    table.string('released_by', 255).nullable();
    table.timestamp('released_at', { useTz: true }).nullable();
    table.index(['label_id', 'state'], 'vr_legal_holds_label_state_idx');
    table.index(['case_id'], 'vr_legal_holds_case_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_legal_holds');
};
