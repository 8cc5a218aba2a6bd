import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createBackendModule,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import {
  NotificationService,
  notificationService,
} from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import request from 'supertest';
import { KnexAuditLogStore } from '../../database';
import { CoverageStore } from '../../database/CoverageStore';
import { KnexNumbersStore } from '../../database/NumbersStore';
import { AssuranceReportNotifier } from '../../notifiers/AssuranceReportNotifier';
import { voiceRecordingPlugin } from '../../plugin';
import { AuditRecorder } from '../AuditRecorder';
import { AssuranceReportTask } from './AssuranceReportTask';
import { CoverageJob } from './CoverageJob';
import { OwnerGroups } from './OwnerGroups';
import { RecordingHealthService } from './RecordingHealthService';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = 'user:default/alice'; // admin (group compliance)
const BOB = 'user:default/bob'; // not an admin
const ADMINS = 'group:default/compliance';
const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'compliance', namespace: 'default' },
    spec: { type: 'team', children: [] },
    relations: [{ type: 'hasMember', targetRef: ALICE }],
  },
  ...['alice', 'bob'].map(name => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name, namespace: 'default' },
    spec: {},
  })),
];

/**
 * The daily report announcement through the real notifications backend: the admin group
 * is expanded to its members by the catalog, alice reads it in her notifications, bob
 * does not get it.
 */
describe.each(databases.eachSupportedId())(
  'assurance report notification on %s',
  databaseId => {
    let knex: Knex;
    let app: any;
    let stop: () => Promise<void>;
    let storageDir: string;
    let captured: { notifications: NotificationService; logger: LoggerService };

    const reportNotifications = async (who: string) => {
      const res = await request(app)
        .get('/api/notifications/notifications?limit=100')
        .set('Authorization', mockCredentials.user.header(who));
      expect(res.status).toBe(200);
      return (res.body.notifications as any[]).filter(
        n => n.payload.topic === 'voice-recording-assurance-report',
      );
    };

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      storageDir = mkdtempSync(path.join(tmpdir(), 'vr-report-test-'));
      // the NotificationService of the voice-recording plugin (origin plugin:voice-recording)
      const captureModule = createBackendModule({
        pluginId: 'voice-recording',
        moduleId: 'report-test',
        register(reg) {
          reg.registerInit({
            deps: {
              notifications: notificationService,
              logger: coreServices.logger,
            },
            async init(d) {
              captured = d;
            },
          });
        },
      });
      const backend = await startTestBackend({
        features: [
          voiceRecordingPlugin,
          notificationsPlugin,
          captureModule,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              app: { baseUrl: 'http://localhost:3000' },
              voiceRecording: {
                storage: { local: { directory: storageDir } },
                adminGroups: [ADMINS],
                // run by the test with its own clock, not by the scheduler
                recordingHealth: {
                  coverage: { enabled: false },
                  alarms: { enabled: false },
                },
              },
            },
          }),
          catalogServiceMock.factory({ entities }),
          mockServices.events.mock().factory,
        ] as any,
      });
      app = backend.server;
      stop = () => backend.stop();
    });

    afterAll(async () => {
      await stop?.();
      rmSync(storageDir, { recursive: true, force: true });
    });

    it('reaches the admins once, with the link to the Recording health page', async () => {
      const numbers = new KnexNumbersStore(knex);
      await numbers.create({
        number: '+32470000031',
        userRef: BOB,
        mvrActive: true,
        fmu: false,
        settings: {
          beep: false,
          smsOnStatusChange: false,
          statusMode: 'auto',
          activeStatus: 'professional',
          selfManaged: false,
          simultaneousCalls: true,
          timeZone: 'Europe/Brussels',
        },
        slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
      });
      await knex('vr_numbers').update({
        created_at: new Date('2026-01-01T00:00:00Z'),
      });
      const coverage = new CoverageStore(knex);
      await new CoverageJob({
        store: coverage,
        numbers,
        timeZone: 'Europe/Brussels',
        backfillDays: 3,
      }).refresh(new Date('2026-11-03T05:30:00Z'));
      const audit = new AuditRecorder(
        mockServices.auditor.mock(),
        new KnexAuditLogStore(knex),
        captured.logger,
      );
      const task = new AssuranceReportTask({
        health: new RecordingHealthService({
          coverage,
          ownerGroups: new OwnerGroups({
            getEntities: async () => ({ items: [] }),
          }),
          groupMembers: async () => [],
          timeZone: 'Europe/Brussels',
          now: () => new Date('2026-11-03T05:30:00Z'),
        }),
        coverage,
        notifier: new AssuranceReportNotifier(
          captured.notifications,
          [ADMINS],
          captured.logger,
          audit,
        ),
        notifyAt: '06:00',
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
