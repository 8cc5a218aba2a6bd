import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { applyDatabaseMigrations } from './database';
import { FourEyesStore } from './database/FourEyesStore';
import { loadDemoFourEyes } from './demoFourEyes';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'demo four-eyes user on %s',
  databaseId => {
    it('flags erik with the observers group (dave), once', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new FourEyesStore(knex);
      const options = { store, logger: mockServices.logger.mock() };
      await expect(loadDemoFourEyes(options)).resolves.toBe(true);
      expect(await store.listFlags()).toEqual([
        expect.objectContaining({
          userRef: 'user:default/erik',
          observerRef: 'group:default/observers',
          setBy: 'user:default/alice',
        }),
      ]);
      await expect(loadDemoFourEyes(options)).resolves.toBe(false);
      expect(await store.listFlags()).toHaveLength(1);
    });
  },
);
