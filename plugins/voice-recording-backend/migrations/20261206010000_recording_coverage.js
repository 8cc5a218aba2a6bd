/*
 * Recording coverage (proof of recording, docs/operations.md "Recording health"): per
 * recorded number and per calendar day of the installation's time zone, what the number
 * was expected to be recorded and what the recorder did. Filled by the coverage job
 * (closed days once, today and yesterday again on every run); read by /health/*.
 *
 *   vr_recording_coverage          one row per number and day
 *     number_id                    the recorded number (no foreign key: the rows of a
 *                                  deleted number stay as evidence)
 *     day                          YYYY-MM-DD
 *     number, user_ref             the number (E.164) and its owner when computed
 *     expected_seconds             seconds the number was expected to be recorded
 *                                  (today: until computed_at)
 *     recorded_calls/_seconds      conversations that started that day, and their length
 *     refused_calls                refused sessions of the number that day
 *     refused_by_reason            JSON object { reason: count }
 *     warning_quality_calls        conversations with quality verdict warning
 *     failed_quality_calls         verdict failed, or a recording that failed
 *     last_recorded_call_at        the day's last recorded call
 *     computed_at                  when the row was computed
 *     cum_*                        the same figures summed over the number's rows up to
 *                                  and including this day: a period's sums are the
 *                                  difference of two rows per number (its last day and
 *                                  the day before its first), not a scan of its days
 *
 *   vr_recording_coverage_numbers  one row per number: the last recorded call ever, the
 *                                  last closed day computed (the job goes on from it) and
 *                                  its first day with a row
 *
 *   vr_recording_coverage_reports  the days whose assurance report was announced to the
 *                                  admins (one notification per day, whichever instance)
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_recording_coverage', table => {
    table.comment('Recording coverage per recorded number and day');
    table.string('number_id', 36).notNullable();
    table.string('day', 10).notNullable().comment('YYYY-MM-DD');
    table.string('number', 32).notNullable().comment('E.164');
    table.string('user_ref', 255).notNullable();
    table.integer('expected_seconds').notNullable().defaultTo(0);
    table.integer('recorded_calls').notNullable().defaultTo(0);
    table.integer('recorded_seconds').notNullable().defaultTo(0);
    table.integer('refused_calls').notNullable().defaultTo(0);
    table.text('refused_by_reason').nullable().comment('JSON object');
    table.integer('warning_quality_calls').notNullable().defaultTo(0);
    table.integer('failed_quality_calls').notNullable().defaultTo(0);
    table.timestamp('last_recorded_call_at', { useTz: true }).nullable();
    table.timestamp('computed_at', { useTz: true }).notNullable();
    table.bigInteger('cum_expected_seconds').notNullable().defaultTo(0);
    table.bigInteger('cum_recorded_calls').notNullable().defaultTo(0);
    table.bigInteger('cum_recorded_seconds').notNullable().defaultTo(0);
    table.bigInteger('cum_refused_calls').notNullable().defaultTo(0);
    table.text('cum_refused_by_reason').nullable().comment('JSON object');
    table.bigInteger('cum_warning_quality_calls').notNullable().defaultTo(0);
    table.bigInteger('cum_failed_quality_calls').notNullable().defaultTo(0);
    table.primary(['number_id', 'day'], 'vr_recording_coverage_pk');
    // the period's rows of every number (summary, list)
    table.index(['day', 'number_id'], 'vr_recording_coverage_day_idx');
  });
  await knex.schema.createTable('vr_recording_coverage_numbers', table => {
    table.comment('Recording coverage per recorded number (all days)');
    table.string('number_id', 36).primary().notNullable();
    table.timestamp('last_recorded_call_at', { useTz: true }).nullable();
    table
      .string('computed_through', 10)
      .nullable()
      .comment('last closed day computed, YYYY-MM-DD');
    table
      .string('first_day', 10)
      .nullable()
      .comment('first day with a row, YYYY-MM-DD');
  });
  await knex.schema.createTable('vr_recording_coverage_reports', table => {
    table.comment('Assurance reports announced to the admins');
    table.string('day', 10).primary().notNullable().comment('YYYY-MM-DD');
    table.timestamp('notified_at', { useTz: true }).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_recording_coverage_reports');
  await knex.schema.dropTable('vr_recording_coverage_numbers');
  await knex.schema.dropTable('vr_recording_coverage');
};
