/*
 * The second approval of an access request by the requester's manager, when
 * `voiceRecording.accessRequests.managerApproval` is on (docs/permissions.md "Cases"):
 *
 *   manager_ref          the manager resolved from the catalog when the request was made
 *                        (null: no manager approval needed)
 *   manager_approved_by  who approved as the manager, and when, with their comment; an
 *   manager_approved_at  admin's approval takes effect only after it
 *   manager_comment
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vr_access_requests', table => {
    table.string('manager_ref', 255).nullable();
    table.string('manager_approved_by', 255).nullable();
    table.timestamp('manager_approved_at', { useTz: true }).nullable();
    table.text('manager_comment').nullable();
    table.index(['manager_ref'], 'vr_access_requests_manager_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('vr_access_requests', table => {
    table.dropIndex(['manager_ref'], 'vr_access_requests_manager_idx');
    table.dropColumn('manager_ref');
    table.dropColumn('manager_approved_by');
    table.dropColumn('manager_approved_at');
    table.dropColumn('manager_comment');
  });
};
