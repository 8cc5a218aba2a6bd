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
import { readRecordingAlarmsConfig } from './service/health/alarmsConfig';
import { RecordingAlarmsService } from './service/health/RecordingAlarmsService';

jest.setTimeout(60_000);

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
