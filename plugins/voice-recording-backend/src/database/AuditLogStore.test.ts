import { TestDatabases } from '@backstage/backend-test-utils';
import { KnexAuditLogStore } from './AuditLogStore';
import { applyDatabaseMigrations } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'KnexAuditLogStore on %s',
  databaseId => {
    it('appends and lists newest first with filters', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new KnexAuditLogStore(knex);
      await store.append({
        actorRef: 'user:default/alice',
        action: 'number-create',
        targetType: 'number',
        targetId: '+32470123456',
        details: { a: 1 },
        at: new Date('2025-01-01T10:00:00Z'),
      });
      await store.append({
        actorRef: 'user:default/bob',
        action: 'permission-denied',
        at: new Date('2025-01-02T10:00:00Z'),
      });
      await store.append({
        actorRef: 'user:default/alice',
        action: 'number-update',
        targetType: 'number',
        targetId: '+32470123456',
        at: new Date('2025-01-03T10:00:00Z'),
      });
      const all = await store.list({});
      expect(all.total).toBe(3);
      expect(all.items.map(i => i.action)).toEqual([
        'number-update',
        'permission-denied',
        'number-create',
      ]);
      expect(all.items[2]).toMatchObject({
        at: '2025-01-01T10:00:00.000Z',
        details: { a: 1 },
        targetId: '+32470123456',
      });
      expect((await store.list({ actor: 'user:default/alice' })).total).toBe(2);
      expect((await store.list({ target: '+32470123456' })).total).toBe(2);
      expect((await store.list({ target: 'number:+32470123456' })).total).toBe(
        2,
      );
      const window = await store.list({
        from: new Date('2025-01-02T00:00:00Z'),
        to: new Date('2025-01-03T00:00:00Z'),
      });
      expect(window.items.map(i => i.action)).toEqual(['permission-denied']);
      await knex.destroy();
    });
  },
);
