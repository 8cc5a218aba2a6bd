import path from 'node:path';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readVoiceRecordingConfig } from './config';
import {
  applyDatabaseMigrations,
  KnexAuditLogStore,
  KnexNumbersStore,
  KnexPlanningModelsStore,
} from './database';
import { RecordingAlarmsStore } from './database/RecordingAlarmsStore';
import { RecordingSignalsStore } from './database/RecordingSignalsStore';
import { loadDemoData } from './demoData';
import {
  DEMO_SILENT_NUMBER,
  loadDemoSilentNumber,
} from './demoRecordingHealth';
import { RecordingAlarmNotifier } from './notifiers/RecordingAlarmNotifier';
import { AuditRecorder } from './service/AuditRecorder';
import {
  ALICE,
  startNotificationsTestBackend,
} from './service/__testUtils__/notificationsTestBackend';
import { readRecordingAlarmsConfig } from './service/health/alarmsConfig';
import { RecordingAlarmsService } from './service/health/RecordingAlarmsService';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'demo silent number on %s',
  databaseId => {
    it('makes the evaluation at startup raise a silent-number alarm for alice’s number only, once', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const logger = mockServices.logger.mock();
      const numbers = new KnexNumbersStore(knex);
      await loadDemoData({
        file: path.resolve(__dirname, '../../../examples/voice-recording.yaml'),
        config: readVoiceRecordingConfig(new ConfigReader({})),
        numbers,
        planningModels: new KnexPlanningModelsStore(knex),
        logger,
      });
      await expect(loadDemoSilentNumber({ knex, logger })).resolves.toBe(true);
      // a second start does not move it again
      await expect(loadDemoSilentNumber({ knex, logger })).resolves.toBe(false);

      const audit = new AuditRecorder(
        mockServices.auditor.mock(),
        new KnexAuditLogStore(knex),
        logger,
      );
      const send = jest.fn(async () => {});
      const service = new RecordingAlarmsService({
        alarms: new RecordingAlarmsStore(knex),
        signals: new RecordingSignalsStore(knex),
        numbers,
        notifier: new RecordingAlarmNotifier(
          { send },
          ['group:default/compliance'],
          logger,
          audit,
        ),
        audit,
        config: readRecordingAlarmsConfig(new ConfigReader({})),
        logger,
      });
      const r = await service.evaluate(new Date());
      expect(r.raised).toEqual([
        expect.objectContaining({
          kind: 'silent-number',
          number: DEMO_SILENT_NUMBER,
          ownerRef: 'user:default/alice',
        }),
      ]);
      expect(r.raised[0].summary).toMatch(/no recorded call yet$/);
      expect(send).toHaveBeenCalledTimes(1);
      await knex.destroy();
    });
  },
);

/**
 * The demo portal: the plugin with the demo data and the real notifications backend; once
 * the backend is up, the startup evaluation has raised alice's silent number and told
 * the admins (alice, of the compliance group).
 */
describe.each(databases.eachSupportedId())(
  'demo portal start on %s',
  databaseId => {
    it('raises the silent-number alarm of the demo at startup and notifies the admins', async () => {
      const backend = await startNotificationsTestBackend({
        databases,
        databaseId,
        config: {
          demoData: {
            file: path.resolve(__dirname, '../../../examples/voice-recording.yaml'),
          },
        },
      });
      try {
        const get = (url: string) => backend.as(ALICE).get(url);
        let alarms: any;
        for (let i = 0; i < 100; i++) {
          alarms = (await get('/api/voice-recording/health/alarms?state=open'))
            .body;
          if (alarms.totalCount > 0) break;
          await new Promise(r => setTimeout(r, 100));
        }
        expect(alarms.items).toEqual([
          expect.objectContaining({
            kind: 'silent-number',
            number: DEMO_SILENT_NUMBER,
          }),
        ]);
        let notes: any[] = [];
        for (let i = 0; i < 100 && notes.length === 0; i++) {
          notes = await backend.notificationsOf(
            ALICE,
            'voice-recording-recording-alarm',
          );
          if (notes.length === 0) await new Promise(r => setTimeout(r, 100));
        }
        expect(notes.map(n => n.payload.title)).toEqual([
          `Silent number: ${DEMO_SILENT_NUMBER}`,
        ]);
        expect(notes[0].payload.link).toBe(
          `/voice-recording/health/numbers/${alarms.items[0].numberId}`,
        );
      } finally {
        await backend.stop();
      }
    });
  },
);
