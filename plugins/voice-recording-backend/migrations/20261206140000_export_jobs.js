/*
 * Regulator and client export jobs (docs/regulator-export.md): a package (ZIP) of the
 * conversations of a case, a search or one number's calls for a period, built in the
 * background by one backend instance at a time and kept in the blob store under
 * `exports/<id>.zip` until it expires.
 *
 * Claiming: a worker takes a `queued` job, or a `running` one whose lease has run out
 * (its instance died), with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, then
 * sets `lease_owner` and `lease_until`; it renews the lease with each progress update
 * and may complete the job only while it still owns it.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_export_jobs', table => {
    table.comment(
      'Export packages (regulator and client exports), built in the background',
    );
    table.string('id', 36).primary().notNullable();
    table.text('scope').notNullable().comment('ExportScope as JSON');
    table.string('scope_title', 300).notNullable();
    table
      .text('filters')
      .notNullable()
      .comment(
        'the conversation search filters the scope stands for, resolved at creation (JSON)',
      );
    table
      .text('visibility')
      .nullable()
      .comment(
        "the requester's playback visibility criteria at creation (JSON); null: all",
      );
    table.boolean('include_mp3').notNullable().defaultTo(false);
    table
      .string('state', 16)
      .notNullable()
      .comment('queued | running | done | failed | expired');
    table.string('requested_by', 255).notNullable();
    table.timestamp('requested_at', { useTz: true }).notNullable();
    table.integer('done').notNullable().defaultTo(0);
    table.integer('total').notNullable().defaultTo(0);
    table.integer('skipped').notNullable().defaultTo(0);
    table.integer('attempts').notNullable().defaultTo(0);
    table.string('lease_owner', 100).nullable();
    table.timestamp('lease_until', { useTz: true }).nullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.timestamp('expires_at', { useTz: true }).nullable();
    table.string('blob_key', 200).nullable();
    table.string('sha256', 64).nullable();
    table.bigInteger('bytes').nullable();
    table.text('error').nullable();
    table.index(['state', 'requested_at'], 'vr_export_jobs_state_idx');
    table.index(
      ['requested_by', 'requested_at'],
      'vr_export_jobs_requester_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_export_jobs');
};
