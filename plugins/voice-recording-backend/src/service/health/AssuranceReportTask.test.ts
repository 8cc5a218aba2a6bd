import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import { CoverageStore } from '../../database/CoverageStore';
import { KnexConversationsStore } from '../../database/ConversationsStore';
import { KnexNumbersStore } from '../../database/NumbersStore';
import { applyDatabaseMigrations } from '../../database/util';
import { AssuranceReportTask } from './AssuranceReportTask';
import { CoverageJob } from './CoverageJob';
import { assuranceReportTask } from '../__testUtils__/assuranceReportTask';
import { createNumberAddedAt } from '../__testUtils__/recordedNumbers';
import { recordCall } from './__testUtils__/coverageCalls';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const ADMINS = ['group:default/compliance'];

/**
 * "Have it sent": the daily announcement of yesterday's assurance report, on a real
 * database with a controlled clock (Brussels, announcement from 06:00).
 */
describe.each(databases.eachSupportedId())(
  'assurance report announcement on %s',
  databaseId => {
    let knex: Knex;
    let task: AssuranceReportTask;
    let job: CoverageJob;
    const sent: NotificationSendOptions[] = [];
    let failNext = false;
    const notifications: NotificationService = {
      send: async n => {
        if (failNext) {
          failNext = false;
          throw new Error('notifications backend unavailable');
        }
        sent.push(n);
      },
    };
    const audited = async () =>
      (
        await knex('vr_audit_log')
          .where('action', 'health-report-notification')
          .orderBy('at')
      )
        .map(r => `${r.target_id} ${JSON.parse(r.details).outcome}`)
        .sort();

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const numbers = new KnexNumbersStore(knex);
      const n = await createNumberAddedAt(knex, {
        number: '+32470000021',
        userRef: 'user:default/zoe',
        createdAt: '2026-01-01T00:00:00Z',
      });
      await recordCall(
        new KnexConversationsStore(knex),
        n,
        '2026-11-02T09:00:00Z',
        60,
        'failed',
      );
      const coverage = new CoverageStore(knex);
      job = new CoverageJob({
        store: coverage,
        numbers,
        timeZone: 'Europe/Brussels',
        backfillDays: 10,
      });
      task = assuranceReportTask({
        knex,
        coverage,
        notifications,
        logger: mockServices.logger.mock(),
        now: new Date('2026-11-03T05:00:00Z'),
      });
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('announces yesterday’s report once, from the configured local time', async () => {
      await job.refresh(new Date('2026-11-03T04:00:00Z'));
      // 05:59 CET: not yet
      expect(
        await task.runDue(new Date('2026-11-03T04:59:00Z')),
      ).toBeUndefined();
      expect(sent).toEqual([]);
      // 06:00 CET
      expect(await task.runDue(new Date('2026-11-03T05:00:00Z'))).toBe(
        '2026-11-02',
      );
      expect(sent).toEqual([
        {
          recipients: { type: 'entity', entityRef: ADMINS },
          payload: expect.objectContaining({
            title: 'Recording assurance report of 2026-11-02',
            link: '/voice-recording/health?reportDay=2026-11-02',
            severity: 'high', // the failed call: a number needs attention
            topic: 'voice-recording-assurance-report',
            scope: 'voice-recording-assurance-report:2026-11-02',
          }),
        },
      ]);
      expect(sent[0].payload.description).toContain(
        '1 recorded numbers, 1 needing attention, 0 alarms',
      );
      // later runs the same day (any instance) do not send it again
      expect(
        await task.runDue(new Date('2026-11-03T09:00:00Z')),
      ).toBeUndefined();
      expect(sent).toHaveLength(1);
      expect(await audited()).toEqual(['2026-11-02 succeeded']);
    });

    it('tries again on the next run when the notification failed', async () => {
      failNext = true;
      expect(
        await task.runDue(new Date('2026-11-04T06:00:00Z')),
      ).toBeUndefined();
      expect(sent).toHaveLength(1);
      expect(await task.runDue(new Date('2026-11-04T06:05:00Z'))).toBe(
        '2026-11-03',
      );
      expect(sent).toHaveLength(2);
      expect(await audited()).toEqual([
        '2026-11-02 succeeded',
        '2026-11-03 failed',
        '2026-11-03 succeeded',
      ]);
    });
  },
);
