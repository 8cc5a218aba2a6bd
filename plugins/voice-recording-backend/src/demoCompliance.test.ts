import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { addRetentionPeriod } from '@mvr/plugin-voice-recording-common';
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
import { LegalHoldsStore } from './database/LegalHoldsStore';
import { RetentionStore } from './database/RetentionStore';
import { loadDemoCases } from './demoCases';
import {
  DEMO_EXPIRING_CALLS,
  DEMO_HELD_OLD_CALL_PARTY,
  DEMO_HOLD_REASON,
  DEMO_HOLD_REFERENCE,
  demoRetentionStart,
  loadDemoLegalHold,
} from './demoCompliance';
import { DEMO_CALLS, loadDemoConversations } from './demoConversations';
import { loadDemoData } from './demoData';
import { DisposalJob } from './service/retention/DisposalJob';
import { RetentionService } from './service/retention/RetentionService';

jest.setTimeout(240_000);

const DAY = 86_400_000;
const P5Y = { years: 5, months: 0, days: 0 };

describe('demoRetentionStart', () => {
  it.each([
    ['an ordinary day', '2026-12-06T07:00:00.000Z', 6, 0],
    ['a month end', '2026-01-25T10:00:00.000Z', 6, 0],
    // no day of 2023 plus five years is 29 February 2028 (28 February is the closest)
    ['29 February after five years', '2028-02-16T10:00:00.000Z', 13, -1],
  ])(
    'ends the retention the given days ahead on %s',
    (_, now, days, offByDays) => {
      const start = demoRetentionStart(new Date(now), days, 30_000, P5Y);
      const end = new Date(start.getTime() + 30_000);
      expect(addRetentionPeriod(end, P5Y).toISOString()).toBe(
        new Date(
          new Date(now).getTime() + (days + offByDays) * DAY,
        ).toISOString(),
      );
    },
  );

  it('follows a configured minimum of seven years', () => {
    const now = new Date('2026-12-06T07:00:00.000Z');
    const p7 = { years: 7, months: 0, days: 0 };
    const start = demoRetentionStart(now, 24, 0, p7);
    expect(start.getUTCFullYear()).toBe(2019);
    expect(addRetentionPeriod(start, p7).getTime()).toBe(
      now.getTime() + 24 * DAY,
    );
  });
});

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'the demo compliance archive on %s',
  databaseId => {
    it('has old calls due for disposal in 6, 13 and 24 days, one held by the standing demo hold; nothing is disposed of now, once', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const dir = mkdtempSync(path.join(tmpdir(), 'vr-demo-compliance-'));
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
        const conversations = new ConversationSearchStore(knex);
        const blobs = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
        const now = new Date();
        // real speech (espeak-ng and sox, as the demo portal)
        const generate = () =>
          loadDemoConversations({
            store: conversations,
            numbers,
            blobs,
            logger,
            retentionMinimum: P5Y,
            now,
          });
        expect(await generate()).toBe(DEMO_CALLS.length);
        const cases = new CasesStore(knex);
        await loadDemoCases({
          cases,
          requests: new AccessRequestsStore(knex),
          conversations,
          logger,
        });
        const holds = new LegalHoldsStore(knex);
        const loadHold = () =>
          loadDemoLegalHold({ cases, holds, conversations, logger, now });
        expect(await loadHold()).toBe(true);

        // the retention ends, as the plugin's start gives them (no policy: the minimum)
        const store = new RetentionStore(knex);
        const audit = { record: jest.fn(async () => {}) };
        const retention = new RetentionService({
          store,
          numbers: { get: async id => (await numbers.get(id)) as any },
          groups: {
            members: async refs => ({ members: new Map(), missing: refs }),
          },
          audit,
          logger,
          config: {
            minimumPeriod: P5Y,
            minimumPeriodText: 'P5Y',
            policies: [],
          },
        });
        expect(await retention.syncConfig()).toEqual({
          changed: 0,
          assigned: DEMO_CALLS.length,
        });

        // Compliance › Disposals: the next 30 days are the three old calls, soonest
        // first, the days ahead as generated (to the minute), the client's one held
        const upcoming = await store.upcoming(new Date(now.getTime() + 30 * DAY), {
          limit: 50,
          offset: 0,
        });
        expect(upcoming.total).toBe(3);
        expect(upcoming.held).toBe(1);
        const all = await conversations.search({
          sort: 'startedAt',
          order: 'asc',
          limit: 50,
        });
        const partyOf = new Map(all.items.map(c => [c.id, c.otherParty]));
        expect(
          upcoming.items.map(u => [
            partyOf.get(u.conversationId),
            Math.round(
              (Date.parse(u.retentionUntil) - now.getTime()) / 60_000,
            ),
            u.legalHold,
          ]),
        ).toEqual(
          DEMO_EXPIRING_CALLS.map(c => [
            c.otherParty,
            c.retentionEndsInDays! * 1440,
            c.otherParty === DEMO_HELD_OLD_CALL_PARTY,
          ]),
        );

        // the standing demo hold: alice's, on the demo case, its four calls
        const [hold] = await holds.list();
        expect(hold).toMatchObject({
          caseTitle: 'Client Dupont complaint',
          state: 'active',
          reference: DEMO_HOLD_REFERENCE,
          reason: DEMO_HOLD_REASON,
          placedBy: 'user:default/alice',
          conversationCount: 4,
        });

        // the disposal job disposes of nothing now; in 14 days of the bob's call due
        // in 6 days only (the held one stays, the other is not due yet)
        const job = new DisposalJob({
          store,
          retention,
          blobs,
          audit,
          logger,
          batchSize: 100,
          maxPerRun: 1000,
        });
        const actor = { ref: 'plugin:voice-recording' };
        expect(await job.run('scheduled', actor, now)).toMatchObject({
          disposed: 0,
        });
        expect(await conversations.count({})).toBe(DEMO_CALLS.length);
        expect(
          await job.run('scheduled', actor, new Date(now.getTime() + 14 * DAY)),
        ).toMatchObject({ disposed: 1, held: 1 });
        const left = await conversations.search({
          sort: 'startedAt',
          order: 'asc',
          limit: 50,
        });
        expect(left.items.map(c => c.otherParty)).not.toContain(
          DEMO_EXPIRING_CALLS[0].otherParty,
        );
        expect(left.items.map(c => c.otherParty)).toContain(
          DEMO_HELD_OLD_CALL_PARTY,
        );

        // a restart changes nothing
        expect(await generate()).toBe(0);
        expect(await loadHold()).toBe(false);
        expect(await holds.list()).toHaveLength(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await knex.destroy();
      }
    });
  },
);
