/*
 * Archive work as a queue (issue 20, docs/deployment.md): uploads of finished recordings
 * from a recorder's local disk to object storage, Opus compression of interim WAVs and
 * derived files (MP3, waveform), taken by any recorder, portal or dedicated archiver.
 *
 * Claiming: a worker takes a `queued` job whose `run_after` has come, or a `running` one
 * whose lease has run out (its worker died), with `SELECT ... FOR UPDATE SKIP LOCKED` on
 * PostgreSQL (one process at a time on SQLite), sets `lease_owner` / `lease_until`,
 * renews the lease while it works and completes or fails the job only while it still
 * owns it. A failed job goes back to `queued` with `run_after` pushed out (back-off)
 * until `max_attempts`, then to `dead` (shown to admins, retried by hand).
 *
 * `affinity`: only the worker of that instance may take the job (an upload of a file on
 * one recorder's own disk); null: any worker that handles the kind.
 *
 * vr_conversations.storage_location: where the conversation's archive is now, when it
 * is not simply in the configured store: `staged:<instance>` while it waits on that
 * recorder's disk for its upload; null once it is in the configured store (and for
 * every conversation before this migration).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_archive_jobs', table => {
    table.comment('Archive work queue: uploads, compression, derived files');
    table.bigIncrements('id').primary();
    table.string('kind', 32).notNullable().comment('upload | compress | derive');
    table.string('conversation_id', 36).nullable();
    table
      .string('subject', 1024)
      .notNullable()
      .comment('what the job works on, e.g. the blob key to upload');
    table.text('payload').nullable().comment('kind-specific input (JSON)');
    table.string('affinity', 255).nullable();
    table
      .string('state', 16)
      .notNullable()
      .comment('queued | running | done | dead');
    table.integer('attempts').notNullable().defaultTo(0);
    table.integer('max_attempts').notNullable().defaultTo(8);
    table.timestamp('run_after', { useTz: true }).notNullable();
    table.string('lease_owner', 255).nullable();
    table.timestamp('lease_until', { useTz: true }).nullable();
    table.text('last_error').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.index(['state', 'run_after'], 'vr_archive_jobs_due_idx');
    table.index(['state', 'lease_until'], 'vr_archive_jobs_lease_idx');
    table.index(['conversation_id'], 'vr_archive_jobs_conversation_idx');
  });
  // one open job per kind and subject (a re-enqueue while queued or running is a no-op)
  await knex.raw(
    "CREATE UNIQUE INDEX vr_archive_jobs_open_idx ON vr_archive_jobs (kind, subject) WHERE state IN ('queued', 'running')",
  );
  await knex.schema.alterTable('vr_conversations', table => {
    table.string('storage_location', 300).nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  if (['sqlite3', 'better-sqlite3'].includes(knex.client.config.client)) {
    // SQLite's own DROP COLUMN (3.35+): knex's dropColumn would rebuild the table and
    // lose the phone-search triggers on vr_conversations
    await knex.raw('ALTER TABLE vr_conversations DROP COLUMN storage_location');
  } else {
    await knex.schema.alterTable('vr_conversations', table => {
      table.dropColumn('storage_location');
    });
  }
  await knex.schema.dropTable('vr_archive_jobs');
};
