/*
 * Initial schema of the voice-recording backend.
 *
 * Weekdays of a slot are stored as a bit mask: bit (d - 1) set for ISO weekday d
 * (1 = Monday ... 7 = Sunday), so SQL can test "slot applies on day d" with `&`.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('vr_planning_models', table => {
    table.comment('Named, reusable sets of weekly time slots');
    table.string('id', 36).primary().notNullable();
    table.string('name', 200).notNullable().unique();
    table.text('description').nullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('vr_planning_model_slots', table => {
    table.comment('Time slots of a planning model');
    table.string('id', 36).primary().notNullable();
    table
      .string('planning_model_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_planning_models')
      .onDelete('CASCADE');
    table
      .integer('weekdays')
      .notNullable()
      .comment('bit mask, bit d-1 = ISO weekday d');
    table.integer('start_minute').notNullable();
    table.integer('end_minute').notNullable();
    table.integer('position').notNullable().defaultTo(0);
    table.index(['planning_model_id'], 'vr_planning_model_slots_model_idx');
  });

  await knex.schema.createTable('vr_numbers', table => {
    table.comment('Recorded mobile numbers and their settings');
    table.string('id', 36).primary().notNullable();
    table.string('number', 32).notNullable().unique().comment('E.164');
    table.string('user_ref', 255).notNullable();
    table.boolean('mvr_active').notNullable().defaultTo(true);
    table.boolean('fmu').notNullable().defaultTo(false);
    table.boolean('beep').notNullable().defaultTo(false);
    table.boolean('sms_on_status_change').notNullable().defaultTo(false);
    table.string('status_mode', 16).notNullable().defaultTo('auto');
    table.string('active_status', 16).notNullable().defaultTo('professional');
    table.boolean('self_managed').notNullable().defaultTo(false);
    table.boolean('simultaneous_calls').notNullable().defaultTo(false);
    table.string('time_zone', 64).notNullable().defaultTo('Europe/Brussels');
    table
      .string('planning_model_id', 36)
      .nullable()
      .references('id')
      .inTable('vr_planning_models')
      .onDelete('RESTRICT')
      .comment('planning model last applied');
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['user_ref'], 'vr_numbers_user_ref_idx');
    table.index(['planning_model_id'], 'vr_numbers_planning_model_idx');
  });

  await knex.schema.createTable('vr_number_slots', table => {
    table.comment('Weekly schedule of a recorded number');
    table.string('id', 36).primary().notNullable();
    table
      .string('number_id', 36)
      .notNullable()
      .references('id')
      .inTable('vr_numbers')
      .onDelete('CASCADE');
    table
      .integer('weekdays')
      .notNullable()
      .comment('bit mask, bit d-1 = ISO weekday d');
    table.integer('start_minute').notNullable();
    table.integer('end_minute').notNullable();
    table.integer('position').notNullable().defaultTo(0);
    table.index(['number_id'], 'vr_number_slots_number_idx');
  });

  await knex.schema.createTable('vr_audit_log', table => {
    table.comment('Audit trail of every change and denial');
    table.bigIncrements('id').primary();
    table
      .timestamp('at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.string('actor_ref', 255).notNullable();
    table.string('action', 64).notNullable();
    table.string('target_type', 64).nullable();
    table.string('target_id', 255).nullable();
    table.text('details').nullable().comment('JSON');
    table.index(['at'], 'vr_audit_log_at_idx');
    table.index(['actor_ref'], 'vr_audit_log_actor_idx');
    table.index(['target_type', 'target_id'], 'vr_audit_log_target_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vr_audit_log');
  await knex.schema.dropTable('vr_number_slots');
  await knex.schema.dropTable('vr_numbers');
  await knex.schema.dropTable('vr_planning_model_slots');
  await knex.schema.dropTable('vr_planning_models');
};
