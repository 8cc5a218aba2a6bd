import { TestDatabases } from '@backstage/backend-test-utils';
import { KnexPlanningModelsStore } from './PlanningModelsStore';
import { applyDatabaseMigrations } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'KnexPlanningModelsStore on %s',
  databaseId => {
    it('creates, renames, refuses duplicate names (case-insensitive) and deletes', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new KnexPlanningModelsStore(knex);
      const a = await store.create({
        name: 'Option1',
        description: 'first',
        slots: [
          { weekdays: [1, 3], start: '08:00', end: '12:00' },
          { weekdays: [5], start: '13:00', end: '24:00' },
        ],
      });
      expect(a).toMatchObject({
        name: 'Option1',
        description: 'first',
        usedBy: 0,
        slots: [
          { weekdays: [1, 3], start: '08:00', end: '12:00' },
          { weekdays: [5], start: '13:00', end: '24:00' },
        ],
      });
      await expect(
        store.create({ name: 'option1', slots: [] }),
      ).rejects.toThrow(/already exists/);
      const b = await store.create({
        name: 'Option2',
        slots: [{ weekdays: [2], start: '08:00', end: '09:00' }],
      });
      await expect(
        store.update(b.id, { name: 'OPTION1', slots: b.slots }),
      ).rejects.toThrow(/already exists/);
      const renamed = await store.update(b.id, {
        name: 'Option 2',
        slots: [{ weekdays: [7], start: '10:00', end: '11:00' }],
      });
      expect(renamed.slots).toEqual([
        expect.objectContaining({
          weekdays: [7],
          start: '10:00',
          end: '11:00',
        }),
      ]);
      expect((await store.list()).map(m => m.name)).toEqual([
        'Option 2',
        'Option1',
      ]);
      expect(await store.delete(a.id)).toBe(true);
      expect(await store.get(a.id)).toBeUndefined();
      await knex.destroy();
    });
  },
);
