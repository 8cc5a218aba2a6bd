import { TestDatabases } from '@backstage/backend-test-utils';
import { CoverageStore } from '../../database/CoverageStore';
import { KnexNumbersStore } from '../../database/NumbersStore';
import {
  ALICE,
  BOB,
  NotificationsTestBackend,
  startNotificationsTestBackend,
} from '../__testUtils__/notificationsTestBackend';
import { assuranceReportTask } from '../__testUtils__/assuranceReportTask';
import { createNumberAddedAt } from '../__testUtils__/recordedNumbers';
import { CoverageJob } from './CoverageJob';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/**
 * The daily report announcement through the real notifications backend: the admin group
 * is expanded to its members by the catalog, alice reads it in her notifications, bob
 * does not get it.
 */
describe.each(databases.eachSupportedId())(
  'assurance report notification on %s',
  databaseId => {
    let backend: NotificationsTestBackend;

    const reportNotifications = (who: string) =>
      backend.notificationsOf(who, 'voice-recording-assurance-report');

    beforeAll(async () => {
      backend = await startNotificationsTestBackend({
        databases,
        databaseId,
        // run by the test with its own clock, not by the scheduler
        config: {
          recordingHealth: {
            coverage: { enabled: false },
            alarms: { enabled: false },
          },
        },
      });
    });

    afterAll(async () => {
      await backend?.stop();
    });

    it('reaches the admins once, with the link to the Recording health page', async () => {
      const { knex, services } = backend;
      await createNumberAddedAt(knex, {
        number: '+32470000031',
        userRef: BOB,
        createdAt: '2026-01-01T00:00:00Z',
      });
      const coverage = new CoverageStore(knex);
      await new CoverageJob({
        store: coverage,
        numbers: new KnexNumbersStore(knex),
        timeZone: 'Europe/Brussels',
        backfillDays: 3,
      }).refresh(new Date('2026-11-03T05:30:00Z'));
      const task = assuranceReportTask({
        knex,
        coverage,
        notifications: services.notifications,
        logger: services.logger,
        now: new Date('2026-11-03T05:30:00Z'),
      });

      expect(await task.runDue(new Date('2026-11-03T05:30:00Z'))).toBe(
        '2026-11-02',
      );
      expect(
        await task.runDue(new Date('2026-11-03T06:30:00Z')),
      ).toBeUndefined();
      const got = await reportNotifications(ALICE);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        user: ALICE,
        origin: 'plugin:voice-recording',
        payload: {
          title: 'Recording assurance report of 2026-11-02',
          link: '/voice-recording/health?reportDay=2026-11-02',
          // the silent number (expected 10 h on Monday, no call) needs attention
          severity: 'high',
          topic: 'voice-recording-assurance-report',
        },
      });
      expect(got[0].payload.description).toContain(
        '1 recorded numbers, 1 needing attention',
      );
      expect(await reportNotifications(BOB)).toEqual([]);
    });
  },
);
