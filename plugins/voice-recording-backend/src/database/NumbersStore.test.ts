import { TestDatabases } from '@backstage/backend-test-utils';
import { NumberSettings } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { KnexNumbersStore } from './NumbersStore';
import { KnexPlanningModelsStore } from './PlanningModelsStore';
import { applyDatabaseMigrations } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const settings = (over: Partial<NumberSettings> = {}): NumberSettings => ({
  beep: false,
  smsOnStatusChange: false,
  statusMode: 'auto',
  activeStatus: 'professional',
  selfManaged: false,
  simultaneousCalls: false,
  timeZone: 'Europe/Brussels',
  ...over,
});

describe.each(databases.eachSupportedId())(
  'KnexNumbersStore on %s',
  databaseId => {
    let knex: Knex;
    let store: KnexNumbersStore;
    let models: KnexPlanningModelsStore;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      store = new KnexNumbersStore(knex);
      models = new KnexPlanningModelsStore(knex);
      const office = await models.create({
        name: 'Office hours',
        slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
      });
      await store.create({
        number: '+32470123456',
        userRef: 'user:default/Bob',
        mvrActive: true,
        fmu: false,
        settings: settings(),
        slots: office.slots,
        planningModelId: office.id,
      });
      await store.create({
        number: '+32471234567',
        userRef: 'user:default/carol',
        mvrActive: true,
        fmu: false,
        settings: settings({ statusMode: 'manual', selfManaged: true }),
        slots: [{ weekdays: [6, 7], start: '00:00', end: '24:00' }],
      });
      await store.create({
        number: '+32472345678',
        userRef: 'user:default/alice',
        mvrActive: false,
        fmu: false,
        settings: settings({ statusMode: 'manual', activeStatus: 'private' }),
        slots: [{ weekdays: [1], start: '08:00', end: '09:00' }],
      });
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('round-trips a number with its slots and model name', async () => {
      const bob = await store.getByNumber('+32470123456');
      expect(bob).toMatchObject({
        userRef: 'user:default/bob',
        mvrActive: true,
        settings: settings(),
        planningModel: 'Office hours',
        slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
      });
      expect(new Date(bob!.createdAt).getTime()).toBeGreaterThan(
        Date.now() - 60_000,
      );
      await expect(
        store.create({
          number: '+32470123456',
          userRef: 'user:default/x',
          mvrActive: true,
          fmu: false,
          settings: settings(),
          slots: [],
        }),
      ).rejects.toThrow(/already exists/);
    });

    it('looks several numbers up at once, each with its own slots', async () => {
      const found = await store.getByNumbers([
        '+32471234567',
        '+32499000000', // not a recorded number
        '+32470123456',
        '+32470123456', // twice
      ]);
      const byNumber = new Map(found.map(n => [n.number, n]));
      expect([...byNumber.keys()].sort()).toEqual([
        '+32470123456',
        '+32471234567',
      ]);
      expect(found).toHaveLength(2);
      expect(byNumber.get('+32470123456')).toEqual(
        await store.getByNumber('+32470123456'),
      );
      expect(byNumber.get('+32471234567')!.slots).toMatchObject([
        { weekdays: [6, 7], start: '00:00', end: '24:00' },
      ]);
      await expect(store.getByNumbers([])).resolves.toEqual([]);
    });

    it('turns permission criteria into SQL', async () => {
      const own = {
        property: 'userRef' as const,
        values: ['user:default/bob'],
      };
      const self = { property: 'selfManaged' as const, value: true };
      const numbers = async (filter: any) =>
        (await store.list({ filter })).items.map(n => n.number);
      expect(await numbers(own)).toEqual(['+32470123456']);
      expect(await numbers({ anyOf: [own, self] })).toEqual([
        '+32470123456',
        '+32471234567',
      ]);
      expect(await numbers({ allOf: [own, self] })).toEqual([]);
      expect(await numbers({ not: own })).toEqual([
        '+32471234567',
        '+32472345678',
      ]);
      expect(await numbers({ property: 'userRef', values: [] })).toEqual([]);
    });

    it('filters by status at an instant, evaluating schedules in SQL', async () => {
      const at = (iso: string) => new Date(iso);
      const status = async (s: any, now: Date) =>
        (await store.list({ status: s, now })).items.map(n => n.number);
      // Wednesday 10:00 in Brussels
      const wed = at('2025-06-04T08:00:00Z');
      expect(await status('recording', wed)).toEqual([
        '+32470123456',
        '+32471234567',
      ]);
      expect(await status('outside-schedule', wed)).toEqual([]);
      expect(await status('inactive', wed)).toEqual(['+32472345678']);
      // Wednesday 19:00 in Brussels
      const evening = at('2025-06-04T17:00:00Z');
      expect(await status('outside-schedule', evening)).toEqual([
        '+32470123456',
      ]);
      expect(await status('private', evening)).toEqual([]);
    });

    it('applies bulk changes in one transaction and counts model usage', async () => {
      const all = await models.create({
        name: 'Around the clock',
        slots: [
          { weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' },
        ],
      });
      const state = await store.listBulkState();
      await store.applyBulk(
        state.map(s => ({
          id: s.id,
          planningModelId: all.id,
          slots: all.slots,
          settings: { ...s.settings, beep: true },
        })),
      );
      const after = await store.list({});
      expect(
        after.items.every(
          n => n.planningModel === 'Around the clock' && n.settings.beep,
        ),
      ).toBe(true);
      expect(
        after.items.every(
          n => n.slots.length === 1 && n.slots[0].end === '24:00',
        ),
      ).toBe(true);
      expect(await store.countByPlanningModel(all.id)).toBe(3);
      await expect(models.delete(all.id)).rejects.toThrow(
        'used by 3 recorded numbers',
      );
    });
  },
);
