import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { LocalFileBlobStore } from '@mvr/plugin-voice-recording-node';
import { readVoiceRecordingConfig } from './config';
import {
  applyDatabaseMigrations,
  KnexNumbersStore,
  KnexPlanningModelsStore,
} from './database';
import { AccessRequestsStore } from './database/AccessRequestsStore';
import { CasesStore } from './database/CasesStore';
import { ConversationSearchStore } from './database/ConversationSearchStore';
import { FourEyesStore } from './database/FourEyesStore';
import { loadDemoCases } from './demoCases';
import { loadDemoConversations } from './demoConversations';
import { loadDemoData } from './demoData';
import {
  DEMO_FOUR_EYES_NUMBER,
  DEMO_FOUR_EYES_USER,
  loadDemoFourEyes,
} from './demoFourEyes';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  "the demo four-eyes user's calls on %s",
  databaseId => {
    it('gives erik a recorded number and demo calls with audio, which his flag hides until an observer confirms; the demo case is not his', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const dir = mkdtempSync(path.join(tmpdir(), 'vr-demo-erik-'));
      try {
        const logger = mockServices.logger.mock();
        const numbers = new KnexNumbersStore(knex);
        await loadDemoData({
          file: path.resolve(
            __dirname,
            '../../../examples/voice-recording.yaml',
          ),
          config: readVoiceRecordingConfig(new ConfigReader({})),
          numbers,
          planningModels: new KnexPlanningModelsStore(knex),
          logger,
        });
        const number = await numbers.getByNumber(DEMO_FOUR_EYES_NUMBER);
        expect(number).toMatchObject({
          userRef: DEMO_FOUR_EYES_USER,
          mvrActive: true,
        });

        const conversations = new ConversationSearchStore(knex);
        // real speech (espeak-ng and sox, as the demo portal)
        expect(
          await loadDemoConversations({
            store: conversations,
            numbers,
            blobs: new LocalFileBlobStore(dir, { minFreeBytes: 0 }),
            logger,
          }),
        ).toBe(9);
        const erik = await conversations.search({
          userRef: DEMO_FOUR_EYES_USER,
          sort: 'startedAt',
          order: 'desc',
          limit: 10,
        });
        expect(erik.total).toBe(2);
        for (const c of erik.items) {
          expect(c).toMatchObject({
            number: DEMO_FOUR_EYES_NUMBER,
            recordedNumberId: number!.id,
            state: 'finished',
          });
          expect(c.durationMs).toBeGreaterThan(3_000);
        }

        // flagged, without a confirmed session: the gate hides these calls from him
        const fourEyes = new FourEyesStore(knex);
        await loadDemoFourEyes({ store: fourEyes, logger });
        expect(await fourEyes.getFlag(DEMO_FOUR_EYES_USER)).toBeTruthy();
        expect(
          await fourEyes.hasConfirmedSession(DEMO_FOUR_EYES_USER, new Date()),
        ).toBe(false);

        // the demo case gathers the three latest calls: bob's and carol's, not erik's
        const cases = new CasesStore(knex);
        await loadDemoCases({
          cases,
          requests: new AccessRequestsStore(knex),
          conversations,
          logger,
        });
        const labels = await cases.labelsOf(erik.items.map(c => c.id));
        expect(labels.size).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await knex.destroy();
      }
    });
  },
);
