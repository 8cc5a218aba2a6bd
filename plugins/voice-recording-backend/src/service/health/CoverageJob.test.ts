import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { TimeSlot } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { CoverageStore } from '../../database/CoverageStore';
import { KnexConversationsStore } from '../../database/ConversationsStore';
import { KnexNumbersStore, NumberRecord } from '../../database/NumbersStore';
import { applyDatabaseMigrations } from '../../database/util';
import { CoverageJob } from './CoverageJob';
import { recordCall, refuseCall } from './__testUtils__/coverageCalls';
import {
  createNumberAddedAt,
  numberSettings,
  OFFICE_HOURS,
} from '../__testUtils__/recordedNumbers';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const HOUR = 3600;
const ZONE = 'Europe/Brussels';
const settings = numberSettings();
const officeHours = OFFICE_HOURS;
const allSunday: TimeSlot = { weekdays: [7], start: '00:00', end: '24:00' };

/**
 * The coverage job on a real database with a controlled clock, around the end of summer
 * time in Brussels (Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET, a 25-hour day).
 */
describe.each(databases.eachSupportedId())(
  'recording coverage job on %s',
  databaseId => {
    let knex: Knex;
    let numbers: KnexNumbersStore;
    let calls: KnexConversationsStore;
    let coverage: CoverageStore;
    let job: CoverageJob;
    let anna: NumberRecord; // office hours + all Sunday
    let paul: NumberRecord; // manual private
    let nina: NumberRecord; // created on Monday 26 at 13:00 CET

    const row = async (n: NumberRecord, day: string) =>
      (await coverage.daysOfNumber(n.id, day, day))[0];
    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      numbers = new KnexNumbersStore(knex);
      calls = new KnexConversationsStore(knex);
      coverage = new CoverageStore(knex);
      job = new CoverageJob({
        store: coverage,
        numbers,
        timeZone: ZONE,
        backfillDays: 5,
      });
      const add = (
        number: string,
        user: string,
        slots: TimeSlot[],
        createdAt: string,
        s = settings,
      ) =>
        createNumberAddedAt(knex, {
          number,
          userRef: `user:default/${user}`,
          createdAt,
          settings: s,
          slots,
        });
      const longAgo = '2026-01-01T00:00:00Z';
      anna = await add('+32470000001', 'anna', [officeHours, allSunday], longAgo);
      paul = await add('+32470000002', 'paul', [officeHours], longAgo, {
        ...settings,
        statusMode: 'manual',
        activeStatus: 'private',
      });
      nina = await add('+32470000003', 'nina', [officeHours], '2026-10-26T12:00:00Z');

      // Saturday 24 October 23:30 CEST (21:30Z): Saturday
      await recordCall(calls, anna, '2026-10-24T21:30:00Z', 60, 'ok');
      // Sunday 25 October 00:30 CEST (still the 24th in UTC): Sunday in Brussels
      await recordCall(calls, anna, '2026-10-24T22:30:00Z', 120, 'failed');
      // Sunday 02:30 CET, the second 02:30 of the night
      await recordCall(calls, anna, '2026-10-25T01:30:00Z', 30, 'warning');
      await refuseCall(calls, anna, '2026-10-25T12:00:00Z', 'no-capacity');
      // Monday 26 October 06:00 CET: before office hours, refused by the rule
      await refuseCall(calls, anna, '2026-10-26T05:00:00Z', 'outside-schedule');
      await recordCall(calls, anna, '2026-10-26T08:00:00Z', 300);
      await refuseCall(calls, paul, '2026-10-26T10:00:00Z', 'manual-private');
      await refuseCall(calls, paul, '2026-10-26T11:00:00Z', 'manual-private');
      // Monday 23:59:59 CET is still Monday; Tuesday 00:00 CET is Tuesday
      await recordCall(calls, nina, '2026-10-26T22:59:59Z', 10, 'ok');
      await recordCall(calls, nina, '2026-10-26T23:00:00Z', 20, 'ok');
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('computes the expected seconds of each day from the schedule, the 25-hour Sunday included', async () => {
      // Tuesday 27 October 11:00 CET
      const result = await job.refresh(new Date('2026-10-27T10:00:00Z'));
      // anna and paul from Friday 23 (5 days back), nina from her creation day
      expect(result.rows).toBe(5 + 5 + 2);
      const expected = async (n: NumberRecord) =>
        (await coverage.daysOfNumber(n.id, '2026-10-20', '2026-10-31')).map(
          r => [r.day, r.expectedSeconds / HOUR],
        );
      expect(await expected(anna)).toEqual([
        ['2026-10-23', 10],
        ['2026-10-24', 0],
        ['2026-10-25', 25],
        ['2026-10-26', 10],
        ['2026-10-27', 3], // today until 11:00
      ]);
      expect(await expected(paul)).toEqual([
        ['2026-10-23', 0],
        ['2026-10-24', 0],
        ['2026-10-25', 0],
        ['2026-10-26', 0],
        ['2026-10-27', 0],
      ]);
      // created at 13:00 CET: expected from then until 18:00
      expect(await expected(nina)).toEqual([
        ['2026-10-26', 5],
        ['2026-10-27', 3],
      ]);
    });

    it('counts calls, refusals and quality on the day of the installation time zone', async () => {
      expect(await row(anna, '2026-10-24')).toMatchObject({
        recordedCalls: 1,
        recordedSeconds: 60,
        refusedCalls: 0,
        warningQualityCalls: 0,
        failedQualityCalls: 0,
        lastRecordedCallAt: '2026-10-24T21:30:00.000Z',
      });
      expect(await row(anna, '2026-10-25')).toMatchObject({
        recordedCalls: 2,
        recordedSeconds: 150,
        refusedCalls: 1,
        refusedByReason: { 'no-capacity': 1 },
        warningQualityCalls: 1,
        failedQualityCalls: 1,
        lastRecordedCallAt: '2026-10-25T01:30:00.000Z',
      });
      expect(await row(anna, '2026-10-26')).toMatchObject({
        recordedCalls: 1,
        recordedSeconds: 300,
        refusedCalls: 1,
        refusedByReason: { 'outside-schedule': 1 },
        failedQualityCalls: 0,
      });
      expect(await row(paul, '2026-10-26')).toMatchObject({
        recordedCalls: 0,
        refusedCalls: 2,
        refusedByReason: { 'manual-private': 2 },
      });
      expect(await row(nina, '2026-10-26')).toMatchObject({
        recordedCalls: 1,
        recordedSeconds: 10,
      });
      expect(await row(nina, '2026-10-27')).toMatchObject({
        recordedCalls: 1,
        recordedSeconds: 20,
      });
      const states = await coverage.numberStates();
      expect(states.get(anna.id)).toEqual({
        numberId: anna.id,
        computedThrough: '2026-10-26',
        firstDay: '2026-10-23',
        lastRecordedCallAt: '2026-10-26T08:00:00.000Z',
      });
      expect(states.get(nina.id)?.firstDay).toBe('2026-10-26');
      expect(states.get(paul.id)?.lastRecordedCallAt).toBeUndefined();
    });

    it('goes on incrementally: closed days once, yesterday and today again', async () => {
      // a call that reaches the store late for Friday 23 (closed, computed): not counted
      await recordCall(calls, anna, '2026-10-23T09:00:00Z', 45);
      // Tuesday 27 after the first run: counted when Tuesday is computed again
      await recordCall(calls, anna, '2026-10-27T13:00:00Z', 90, 'failed');
      // Wednesday 28 October 08:00 CET
      const result = await job.refresh(new Date('2026-10-28T07:00:00Z'));
      // Tuesday and Wednesday for each of the three numbers
      expect(result).toEqual({ days: 2, rows: 6 });
      expect((await row(anna, '2026-10-23')).recordedCalls).toBe(0);
      expect(await row(anna, '2026-10-27')).toMatchObject({
        expectedSeconds: 10 * HOUR,
        recordedCalls: 1,
        recordedSeconds: 90,
        failedQualityCalls: 1,
        lastRecordedCallAt: '2026-10-27T13:00:00.000Z',
      });
      expect(await row(anna, '2026-10-28')).toMatchObject({
        expectedSeconds: 0,
        recordedCalls: 0,
        computedAt: '2026-10-28T07:00:00.000Z',
      });
      expect((await coverage.numberStates()).get(anna.id)).toMatchObject({
        computedThrough: '2026-10-27',
        lastRecordedCallAt: '2026-10-27T13:00:00.000Z',
      });
      // the period's sums
      const sums = await coverage.periodFigures('2026-10-23', '2026-10-28', [
        anna.id,
        paul.id,
      ]);
      expect(sums.get(anna.id)).toMatchObject({
        expectedSeconds: (10 + 0 + 25 + 10 + 10 + 0) * HOUR,
        recordedCalls: 5,
        recordedSeconds: 60 + 150 + 300 + 90,
        refusedCalls: 2,
        refusedByReason: { 'no-capacity': 1, 'outside-schedule': 1 },
        warningQualityCalls: 1,
        failedQualityCalls: 2,
      });
    });

    it('sums any period from two rows a number (running sums), before the first row and after the last too', async () => {
      const sum = async (from: string, to: string) =>
        (await coverage.periodFigures(from, to, [anna.id])).get(anna.id);
      expect(await sum('2026-10-25', '2026-10-26')).toMatchObject({
        expectedSeconds: 35 * HOUR,
        recordedCalls: 3,
        recordedSeconds: 450,
        refusedByReason: { 'no-capacity': 1, 'outside-schedule': 1 },
        warningQualityCalls: 1,
        failedQualityCalls: 1,
      });
      // before the first row: only what was computed counts
      expect(await sum('2026-10-01', '2026-10-24')).toMatchObject({
        expectedSeconds: 10 * HOUR,
        recordedCalls: 1,
        refusedCalls: 0,
        refusedByReason: {},
      });
      // after the last row: nothing
      expect(await sum('2026-11-01', '2026-11-05')).toMatchObject({
        expectedSeconds: 0,
        recordedCalls: 0,
        refusedByReason: {},
      });
      // all numbers in one query: the same sums, with the lookups for missing rows
      for (const [from, to] of [
        ['2026-10-25', '2026-10-26'],
        ['2026-10-01', '2026-10-24'],
        ['2026-10-25', '2026-11-05'],
        ['2026-11-01', '2026-11-05'],
      ]) {
        const all = await coverage.numbersWithPeriodFigures(from, to);
        const ids = all.numbers.map(x => x.id);
        expect(ids).toEqual([anna.id, paul.id, nina.id]);
        const one = await coverage.periodFigures(from, to, ids);
        expect([from, to, Object.fromEntries(all.figures)]).toEqual([
          from,
          to,
          Object.fromEntries(one),
        ]);
      }
      // each one-day period equals its row
      for (const r of await coverage.daysOfNumber(
        anna.id,
        '2026-10-23',
        '2026-10-28',
      )) {
        const one = await sum(r.day, r.day);
        expect([
          r.day,
          one?.expectedSeconds,
          one?.recordedCalls,
          one?.refusedCalls,
        ]).toEqual([r.day, r.expectedSeconds, r.recordedCalls, r.refusedCalls]);
      }
    });

    it('keeps the rows of a deleted number as evidence', async () => {
      await numbers.delete(paul.id);
      await job.refresh(new Date('2026-10-28T08:00:00Z'));
      expect(
        (await coverage.rowsOfDay('2026-10-26')).map(r => r.number),
      ).toEqual(['+32470000001', '+32470000002', '+32470000003']);
      expect((await coverage.currentNumbers()).map(n => n.number)).toEqual([
        '+32470000001',
        '+32470000003',
      ]);
    });
  },
);

describe.each(databases.eachSupportedId())(
  'recording coverage job stopped half-way on %s',
  databaseId => {
    it('goes on from the last closed day it finished', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const numbers = new KnexNumbersStore(knex);
      const n = await createNumberAddedAt(knex, {
        number: '+32470000009',
        userRef: 'user:default/anna',
        createdAt: '2026-01-01T00:00:00Z',
      });
      /** A store whose write of one day fails (the run stops there). */
      class FailingOn extends CoverageStore {
        constructor(private readonly failDay: string) {
          super(knex);
        }
        async upsertDays(rows: Parameters<CoverageStore['upsertDays']>[0]) {
          if (rows[0]?.day === this.failDay)
            throw new Error(`stopped at ${this.failDay}`);
          return super.upsertDays(rows);
        }
      }
      const run = (store: CoverageStore) =>
        new CoverageJob({
          store,
          numbers,
          timeZone: ZONE,
          backfillDays: 10,
        }).refresh(new Date('2026-11-06T20:00:00Z'));
      // 27 October to 6 November: stopped when writing 1 November
      await expect(run(new FailingOn('2026-11-01'))).rejects.toThrow(
        'stopped at 2026-11-01',
      );
      const store = new CoverageStore(knex);
      expect((await store.numberStates()).get(n.id)).toMatchObject({
        computedThrough: '2026-10-31',
        firstDay: '2026-10-28',
      });
      // the next run computes 1 to 6 November only, with the running sums carried on
      expect(await run(store)).toEqual({ days: 6, rows: 6 });
      const sums = await store.periodFigures('2026-10-28', '2026-11-06', [
        n.id,
      ]);
      // eight working days of 10 hours
      expect(sums.get(n.id)?.expectedSeconds).toBe(80 * HOUR);
      await knex.destroy();
    });
  },
);

describe.each(databases.eachSupportedId())(
  'recording coverage job across a change of status on %s',
  databaseId => {
    it('keeps the hours expected before the change, and counts the new status from then on', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const numbers = new KnexNumbersStore(knex);
      const store = new CoverageStore(knex);
      const n = await createNumberAddedAt(knex, {
        number: '+32470000010',
        userRef: 'user:default/anna',
        createdAt: '2026-01-01T00:00:00Z',
      });
      const job = new CoverageJob({
        store,
        numbers,
        timeZone: ZONE,
        backfillDays: 1,
      });
      const expectedHours = async (day: string) =>
        (await store.daysOfNumber(n.id, day, day))[0].expectedSeconds / HOUR;

      // Monday 2 November 10:00 CET: expected since 08:00
      await job.refresh(new Date('2026-11-02T09:00:00Z'));
      expect(await expectedHours('2026-11-02')).toBe(2);
      // switched to private by hand at 10:00: nothing more is expected, 08:00-10:00 stands
      await numbers.update(n.id, {
        settings: {
          ...settings,
          statusMode: 'manual',
          activeStatus: 'private',
        },
      });
      await job.refresh(new Date('2026-11-02T14:00:00Z'));
      expect(await expectedHours('2026-11-02')).toBe(2);
      // back on the schedule at 15:00: 15:00-18:00 counts
      await numbers.update(n.id, { settings });
      await job.refresh(new Date('2026-11-02T19:00:00Z'));
      expect(await expectedHours('2026-11-02')).toBe(5);
      // the next morning, as yesterday, it stays so; Tuesday starts from the schedule
      await job.refresh(new Date('2026-11-03T10:00:00Z'));
      expect(await expectedHours('2026-11-02')).toBe(5);
      expect(await expectedHours('2026-11-03')).toBe(3);
      // a run with an earlier clock (another instance) changes nothing
      await job.refresh(new Date('2026-11-03T09:59:00Z'));
      expect(await expectedHours('2026-11-03')).toBe(3);
      // and the next run goes on from 11:00, not from 10:59
      await job.refresh(new Date('2026-11-03T11:00:00Z'));
      expect(await expectedHours('2026-11-03')).toBe(4);
      await knex.destroy();
    });
  },
);

describe.each(databases.eachSupportedId())(
  'recording coverage job with a number it cannot evaluate on %s',
  databaseId => {
    it('counts no expected time for it, and goes on with the others', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const numbers = new KnexNumbersStore(knex);
      const store = new CoverageStore(knex);
      const add = (number: string) =>
        createNumberAddedAt(knex, {
          number,
          userRef: 'user:default/anna',
          createdAt: '2026-01-01T00:00:00Z',
        });
      const broken = await add('+32470000011');
      const fine = await add('+32470000012');
      // a time zone the runtime no longer knows (written before, or by hand)
      await knex('vr_numbers')
        .where('id', broken.id)
        .update({ time_zone: 'Mars/Olympus' });
      const logger = mockServices.logger.mock();
      await new CoverageJob({
        store,
        numbers,
        timeZone: ZONE,
        backfillDays: 1,
        logger,
      }).refresh(new Date('2026-11-02T19:00:00Z'));
      const day = async (id: string) =>
        (await store.daysOfNumber(id, '2026-11-02', '2026-11-02'))[0];
      expect((await day(broken.id)).expectedSeconds).toBe(0);
      expect((await day(fine.id)).expectedSeconds).toBe(10 * HOUR);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(
          'recording coverage of +32470000011: no expected time',
        ),
      );
      await knex.destroy();
    });
  },
);
