/*
 * Cases, labels and access requests (docs/permissions.md "Cases").
 *
 *   vr_labels               a coloured label (title unique, colour #rrggbb)
 *   vr_cases                a case: title, description, status open|closed, owner (its
 *                           creator), its label (one label per case), and its access
 *                           settings: list_mode / playback_mode none|selected|everyone,
 *                           label_mode owner|selected
 *   vr_case_members         the users and groups a `selected` setting names, per right
 *                           (list | playback | label), lower-case entity refs
 *   vr_conversation_labels  the labels a conversation carries (its cases)
 *   vr_access_requests      a user's request for rights on a case: reason, rights,
 *                           expiration; state pending|approved|rejected|expired|revoked
 *                           (a pending or approved request past expires_at counts as
 *                           expired at once; the stored state follows by a sweep)
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_labels', table => {
    table.comment(
      'Coloured labels; a conversation is in a case by carrying its label',
    );
    table.string('id', 36).primary().notNullable();
    table.string('title', 100).notNullable().unique('vr_labels_title_uq');
    table.string('colour', 7).notNullable().comment('#rrggbb');
    table.string('created_by', 255).notNullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('vr_cases', table => {
    table.comment(
      'Cases: conversations gathered by a label, with their access settings',
    );
    table.string('id', 36).primary().notNullable();
    table.string('title', 200).notNullable();
    table.text('description').notNullable().defaultTo('');
    table
      .string('status', 16)
      .notNullable()
      .defaultTo('open')
      .comment('open | closed');
    table.string('owner_ref', 255).notNullable().comment('the creator');
    table
      .string('label_id', 36)
      .notNullable()
      .unique('vr_cases_label_uq')
      .references('id')
      .inTable('vr_labels');
    table.string('list_mode', 16).notNullable().defaultTo('none');
    table.string('playback_mode', 16).notNullable().defaultTo('none');
    table.string('label_mode', 16).notNullable().defaultTo('owner');
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('vr_case_members', table => {
    table.comment(
      'Users and groups of the `selected` access settings of a case',
    );
    table
      .string('case_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_cases')
      .onDelete('CASCADE');
    table
      .string('access_right', 16)
      .notNullable()
      .comment('list | playback | label');
    table.string('entity_ref', 255).notNullable().comment('lower case');
    table.primary(['case_id', 'access_right', 'entity_ref']);
    table.index(['entity_ref'], 'vr_case_members_ref_idx');
  });
  await knex.schema.createTable('vr_conversation_labels', table => {
    table.comment('Labels carried by conversations');
    table
      .string('conversation_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_conversations')
      .onDelete('CASCADE');
    table
      .string('label_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_labels')
      .onDelete('CASCADE');
    table.string('added_by', 255).notNullable();
    table
      .timestamp('added_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.primary(['conversation_id', 'label_id']);
    table.index(['label_id'], 'vr_conversation_labels_label_idx');
  });
  await knex.schema.createTable('vr_access_requests', table => {
    table.comment('Access requests to cases and their decisions');
    table.string('id', 36).primary().notNullable();
    table
      .string('case_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_cases')
      .onDelete('CASCADE');
    table.string('requester_ref', 255).notNullable().comment('lower case');
    table.text('reason').notNullable();
    table.boolean('right_list').notNullable().defaultTo(false);
    table.boolean('right_playback').notNullable().defaultTo(false);
    table.boolean('right_label').notNullable().defaultTo(false);
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table
      .string('state', 16)
      .notNullable()
      .defaultTo('pending')
      .comment('pending | approved | rejected | expired | revoked');
    table.string('decided_by', 255).nullable();
    table.timestamp('decided_at', { useTz: true }).nullable();
    table.text('decision_comment').nullable();
    table.string('revoked_by', 255).nullable();
    table.timestamp('revoked_at', { useTz: true }).nullable();
    table.text('revoke_comment').nullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['case_id', 'state'], 'vr_access_requests_case_state_idx');
    table.index(['requester_ref'], 'vr_access_requests_requester_idx');
    table.index(['state', 'expires_at'], 'vr_access_requests_state_expiry_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_access_requests');
  await knex.schema.dropTable('vr_conversation_labels');
  await knex.schema.dropTable('vr_case_members');
  await knex.schema.dropTable('vr_cases');
  await knex.schema.dropTable('vr_labels');
};
