import { TestDatabases } from '@backstage/backend-test-utils';
import { migrationConfig } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('migrations on %s', databaseId => {
  it('walks up, down and up again', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(migrationConfig);
    for (const t of [
      'vr_planning_models',
      'vr_planning_model_slots',
      'vr_numbers',
      'vr_number_slots',
      'vr_audit_log',
    ]) {
      expect(await knex.schema.hasTable(t)).toBe(true);
    }
    await knex('vr_numbers').insert({
      id: 'n1',
      number: '+32470123456',
      user_ref: 'user:default/bob',
    });
    const dup = await knex('vr_numbers')
      .insert({
        id: 'n2',
        number: '+32470123456',
        user_ref: 'user:default/carol',
      })
      .then(
        () => 'inserted',
        (e: Error) => e.message,
      );
    expect(dup).toMatch(/unique|UNIQUE|duplicate/);
    await knex.migrate.rollback(migrationConfig, true);
    expect(await knex.schema.hasTable('vr_numbers')).toBe(false);
    expect(await knex.schema.hasTable('vr_audit_log')).toBe(false);
    await knex.migrate.latest(migrationConfig);
    expect(await knex.schema.hasTable('vr_numbers')).toBe(true);
    await knex.destroy();
  });
});
