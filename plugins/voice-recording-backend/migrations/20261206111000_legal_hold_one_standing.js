/*
 * Legal holds (docs/legal-hold.md): a case has at most one standing hold (state
 * `active` or `release-requested`). A partial unique index makes the rule hold under
 * concurrent requests too (two admins placing a hold on one case at the same moment:
 * one insert fails, answered 409). SQLite and PostgreSQL both support partial indexes.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.raw(
    `CREATE UNIQUE INDEX vr_legal_holds_one_standing_idx ON vr_legal_holds (case_id) WHERE state <> 'released'`,
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX vr_legal_holds_one_standing_idx');
};
