import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { ConversationQualityCheck } from '@mvr/plugin-voice-recording-common';
import { isCaptureStoreError } from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import {
  ConversationSearchStore,
  qualityWarnings,
} from './ConversationSearchStore';
import { KnexConversationsStore } from './ConversationsStore';
import { NumberRecord } from './NumbersStore';
import { openRecordingStores } from './__testUtils__/recordingStores';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const check = (
  verdict: ConversationQualityCheck['verdict'],
  code?: string,
): ConversationQualityCheck => ({
  verdict,
  reasons: code
    ? [
        {
          code,
          severity: verdict === 'failed' ? 'failed' : 'warning',
          text: `${code} text`,
        },
      ]
    : [],
  channels: [
    { side: 'recorded', speechShare: 0.4, clippedShare: 0 },
    {
      side: 'other',
      speechShare: code === 'one-way' ? 0 : 0.3,
      clippedShare: 0,
    },
  ],
  packetLossShare: 0,
  checkedAt: '2026-12-01T09:00:10.000Z',
});

/**
 * The recorder's quality check: stored at `finish` (vr_conversations.quality_verdict,
 * indexed, and quality_check), read back whole, and searchable by verdict within the
 * caller's visibility.
 */
describe.each(databases.eachSupportedId())(
  'conversation quality check on %s',
  databaseId => {
    let knex: Knex;
    let store: KnexConversationsStore;
    let search: ConversationSearchStore;
    let bob: NumberRecord;
    let carol: NumberRecord;
    const ids: Record<string, string> = {};

    const record = async (
      name: string,
      who: NumberRecord,
      minute: number,
      qualityCheck?: ConversationQualityCheck,
    ) => {
      const { conversation } = await store.begin({
        recordedNumber: who,
        direction: 'incoming',
        otherParty: '+32471000001',
        startedAt: new Date(Date.UTC(2026, 11, 1, 9, minute)),
        sipCallId: `quality-${name}-${randomUUID()}`,
        participants: [],
        metadata: {},
        captureSource: 'test',
      });
      const { conversation: done } = await store.finish(conversation.id, {
        endedAt: new Date(Date.UTC(2026, 11, 1, 9, minute, 20)),
        endedBy: 'bye',
        storageKey: `recordings/${name}.ogg`,
        sha256: 'a'.repeat(64),
        bytes: 1000,
        format: 'audio/ogg; codecs=opus',
        durationMs: 20000,
        ...(qualityCheck ? { qualityCheck } : {}),
      });
      ids[name] = conversation.id;
      return done;
    };

    beforeAll(async () => {
      const stores = await openRecordingStores(databases, databaseId);
      ({ knex, store, search } = stores);
      bob = await stores.addNumber('+32470123456', 'user:default/bob');
      carol = await stores.addNumber('+32470123457', 'user:default/carol');
      await record('ok', bob, 1, check('ok'));
      await record('oneWay', bob, 2, check('failed', 'one-way'));
      await record('loss', bob, 3, check('warning', 'packet-loss'));
      await record('old', bob, 4);
      await record('carolFailed', carol, 5, check('failed', 'silent'));
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('stores the verdict and its reasons at finish and reads them back', async () => {
      const got = (await store.get(ids.oneWay))!;
      expect(got.qualityCheck).toEqual(check('failed', 'one-way'));
      expect((await search.get(ids.oneWay))!.qualityCheck).toEqual(
        check('failed', 'one-way'),
      );
      const raw = await knex('vr_conversations')
        .whereIn('id', [ids.ok, ids.oneWay, ids.loss, ids.old])
        .orderBy('started_at')
        .pluck('quality_verdict');
      expect(raw).toEqual(['ok', 'failed', 'warning', null]);
      // a recording archived before the check: no verdict
      expect((await store.get(ids.old))!.qualityCheck).toBeUndefined();
    });

    it('adds the findings to the quality warnings the portal shows, without repeating the figures', async () => {
      expect(qualityWarnings((await search.get(ids.oneWay))!)).toEqual([
        'one-way text',
      ]);
      expect(qualityWarnings((await search.get(ids.ok))!)).toEqual([]);
      // packet loss is already among the warnings from the figures (none here: no packets counted)
      expect(qualityWarnings((await search.get(ids.loss))!)).toEqual([]);
    });

    it('refuses a verdict that is not one (nothing is written)', async () => {
      const { conversation } = await store.begin({
        recordedNumber: bob,
        startedAt: new Date(Date.UTC(2026, 11, 1, 9, 30)),
        sipCallId: `quality-bad-${randomUUID()}`,
        participants: [],
        metadata: {},
        captureSource: 'test',
      });
      const e = await store
        .finish(conversation.id, {
          endedAt: new Date(),
          endedBy: 'bye',
          qualityCheck: { ...check('ok'), verdict: 'great' as any },
        })
        .catch(err => err);
      expect(isCaptureStoreError(e) && e.code).toBe('invalid');
      expect(e.message).toMatch(
        /verdict "great" is not one of ok, warning, failed/,
      );
      expect((await store.get(conversation.id))!.state).toBe('recording');
      await knex('vr_conversations').where('id', conversation.id).delete();
    });

    it('searches by verdict with exact totals, intersected with the visibility filter', async () => {
      const run = async (quality: string, visibility?: any) => {
        const page = await search.search(
          { quality, sort: 'startedAt', order: 'asc', limit: 50 },
          visibility,
        );
        return {
          ids: page.items.map(i => i.id),
          total: page.total,
          count: await search.count({ quality }, visibility),
        };
      };
      expect(await run('failed')).toEqual({
        ids: [ids.oneWay, ids.carolFailed],
        total: 2,
        count: 2,
      });
      expect(await run('warning')).toEqual({
        ids: [ids.loss],
        total: 1,
        count: 1,
      });
      expect(await run('ok')).toEqual({ ids: [ids.ok], total: 1, count: 1 });
      // bob sees his own calls only: carol's failed call stays hidden
      const own = {
        property: 'userRef' as const,
        values: ['user:default/bob'],
      };
      expect(await run('failed', own)).toEqual({
        ids: [ids.oneWay],
        total: 1,
        count: 1,
      });
      const carols = {
        property: 'userRef' as const,
        values: ['user:default/carol'],
      };
      expect(await run('ok', carols)).toEqual({ ids: [], total: 0, count: 0 });
      await expect(run('bad')).rejects.toThrow(InputError);
    });
  },
);
