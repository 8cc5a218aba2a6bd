import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { ConversationQuality } from '@mvr/plugin-voice-recording-common';
import { isCaptureStoreError } from '@mvr/plugin-voice-recording-node';
import { InputError } from '@backstage/errors';
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

/**
 * Recordings without usable audio: the flag a recorder sets at `finish` is stored
 * (vr_conversations.audio_issues), read back, searchable (`audioIssue`) and shown as a
 * quality warning with the figures behind it.
 */
describe.each(databases.eachSupportedId())(
  'conversations without usable audio on %s',
  databaseId => {
    let knex: Knex;
    let store: KnexConversationsStore;
    let search: ConversationSearchStore;
    let bob: NumberRecord;
    const ids: Record<string, string> = {};

    const record = async (
      name: string,
      minute: number,
      finish: {
        audioIssues?: string[];
        quality?: ConversationQuality;
      },
    ) => {
      const { conversation } = await store.begin({
        recordedNumber: bob,
        direction: 'incoming',
        otherParty: '+32471000001',
        startedAt: new Date(Date.UTC(2026, 11, 1, 9, minute)),
        sipCallId: `audio-${name}-${randomUUID()}`,
        participants: [],
        metadata: {},
        captureSource: 'test',
      });
      const { conversation: done } = await store.finish(conversation.id, {
        endedAt: new Date(Date.UTC(2026, 11, 1, 9, minute, 6)),
        endedBy: 'bye',
        storageKey: `recordings/${name}.ogg`,
        sha256: 'a'.repeat(64),
        bytes: 1000,
        format: 'audio/ogg; codecs=opus',
        durationMs: 6000,
        ...(finish as any),
      });
      ids[name] = conversation.id;
      return done;
    };

    beforeAll(async () => {
      const stores = await openRecordingStores(databases, databaseId);
      ({ knex, store, search } = stores);
      bob = await stores.addNumber('+32470123456', 'user:default/bob');
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('stores the flag at finish, state stays finished with its archive', async () => {
      const silent = await record('silent', 1, {
        audioIssues: ['no-media'],
        quality: { packetsReceived: 0, audioPackets: 0, channels: [] },
      });
      expect(silent).toMatchObject({
        state: 'finished',
        storageKey: 'recordings/silent.ogg',
        audioIssues: ['no-media'],
      });
      const undecodable = await record('g729', 2, {
        audioIssues: ['undecodable-codec'],
        quality: {
          packetsReceived: 300,
          audioPackets: 0,
          undecodable: [{ payloadType: 18, codec: 'G729', packets: 300 }],
        },
      });
      expect(undecodable.audioIssues).toEqual(['undecodable-codec']);
      const fine = await record('fine', 3, {
        quality: { packetsReceived: 300, audioPackets: 300 },
      });
      expect(fine.audioIssues).toBeUndefined();
      const raw = await knex('vr_conversations')
        .whereIn('id', [ids.silent, ids.g729, ids.fine])
        .orderBy('started_at')
        .pluck('audio_issues');
      expect(raw).toEqual(['["no-media"]', '["undecodable-codec"]', null]);
      expect((await store.get(ids.silent))!.audioIssues).toEqual(['no-media']);
    });

    it('refuses a code that is not one (nothing is written)', async () => {
      const { conversation } = await store.begin({
        recordedNumber: bob,
        startedAt: new Date(Date.UTC(2026, 11, 1, 9, 30)),
        sipCallId: `audio-bad-${randomUUID()}`,
        participants: [],
        metadata: {},
        captureSource: 'test',
      });
      const e = await store
        .finish(conversation.id, {
          endedAt: new Date(),
          endedBy: 'bye',
          audioIssues: ['no-media', '%" OR 1=1' as any],
        })
        .catch(err => err);
      expect(isCaptureStoreError(e) && e.code).toBe('invalid');
      expect(e.message).toMatch(/audio issue "%\\" OR 1=1" is not a code/);
      expect((await store.get(conversation.id))!.state).toBe('recording');
      await knex('vr_conversations').where('id', conversation.id).delete();
    });

    it('searches by audioIssue: any, none, or one code, with exact totals', async () => {
      const run = async (audioIssue?: string) => {
        const page = await search.search({
          audioIssue,
          number: bob.number,
          sort: 'startedAt',
          order: 'asc',
          limit: 50,
        });
        return {
          ids: page.items.map(i => i.id),
          total: page.total,
          count: await search.count({ audioIssue, number: bob.number }),
        };
      };
      expect(await run('any')).toEqual({
        ids: [ids.silent, ids.g729],
        total: 2,
        count: 2,
      });
      expect(await run('no-media')).toEqual({
        ids: [ids.silent],
        total: 1,
        count: 1,
      });
      expect(await run('undecodable-codec')).toEqual({
        ids: [ids.g729],
        total: 1,
        count: 1,
      });
      expect(await run('none')).toEqual({
        ids: [ids.fine],
        total: 1,
        count: 1,
      });
      expect(await run('audio-lost')).toEqual({ ids: [], total: 0, count: 0 });
      // a code is a whole element of the list, never a substring of one
      expect(await run('media')).toEqual({ ids: [], total: 0, count: 0 });
      await expect(run('%')).rejects.toThrow(InputError);
    });

    it('shows the flag as a quality warning with its figures', async () => {
      const silent = (await search.get(ids.silent))!;
      expect(qualityWarnings(silent)).toEqual([
        'No usable audio: 0 RTP packets received',
      ]);
      const g729 = (await search.get(ids.g729))!;
      expect(qualityWarnings(g729)).toEqual([
        'No usable audio: the audio was in a codec the recorder cannot decode (G.729, PT 18: 300 packets)',
      ]);
      expect(qualityWarnings((await search.get(ids.fine))!)).toEqual([]);
    });
  },
);
