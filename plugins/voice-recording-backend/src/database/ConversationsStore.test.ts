import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  CaptureStoreError,
  storedSipIdentifier,
} from '@mvr/plugin-voice-recording-node';
import knexFactory, { Knex } from 'knex';
import {
  ConversationBeginRecord,
  KnexConversationsStore,
  toCaptureStoreError,
} from './ConversationsStore';
import { KnexNumbersStore, NumberRecord } from './NumbersStore';
import { applyDatabaseMigrations, migrationConfig } from './util';
import {
  captureStoreRejection as rejection,
  openRecordingStores,
} from './__testUtils__/recordingStores';
import { numberSettings } from '../service/__testUtils__/recordedNumbers';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** The numbers of this file record one call at a time. */
const settings = numberSettings({ simultaneousCalls: false });

describe.each(databases.eachSupportedId())(
  'KnexConversationsStore on %s',
  databaseId => {
    let knex: Knex;
    let store: KnexConversationsStore;
    let numbers: KnexNumbersStore;
    let bob: NumberRecord;

    const beginInput = (
      over: Partial<ConversationBeginRecord> = {},
    ): ConversationBeginRecord => ({
      recordedNumber: bob,
      direction: 'outgoing',
      otherParty: '+32471000001',
      startedAt: new Date('2025-06-02T08:00:00.000Z'),
      codec: 'PCMA/8000',
      sipCallId: `call-${randomUUID()}`,
      siprecSessionId: 'c2Vzc2lvbg==',
      participants: [
        {
          aor: 'sip:+32470123456@sbc.example',
          number: '+32470123456',
          recorded: true,
        },
        { aor: 'tel:+32471000001', number: '+32471000001' },
      ],
      metadata: { ucid: '00001' },
      captureSource: 'test',
      ...over,
    });

    beforeAll(async () => {
      let addNumber: Awaited<ReturnType<typeof openRecordingStores>>['addNumber'];
      ({ knex, store, numbers, addNumber } = await openRecordingStores(
        databases,
        databaseId,
      ));
      bob = await addNumber('+32470123456', 'user:default/Bob', settings);
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('begins, updates and finishes a conversation', async () => {
      const { conversation, created } = await store.begin(beginInput());
      expect(created).toBe(true);
      expect(conversation.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(conversation).toMatchObject({
        recordedNumberId: bob.id,
        number: '+32470123456',
        userRef: 'user:default/bob',
        direction: 'outgoing',
        otherParty: '+32471000001',
        startedAt: '2025-06-02T08:00:00.000Z',
        state: 'recording',
        codec: 'PCMA/8000',
        metadata: { ucid: '00001' },
        dtmf: [],
        captureSource: 'test',
      });
      expect(conversation.participants).toHaveLength(2);
      expect(conversation.endedAt).toBeUndefined();
      expect(await store.activeCount(bob.id)).toBe(1);
      // an ended call whose archive is not registered yet is left out when the recorder says so
      expect(
        await store.activeCount(bob.id, { excluding: [conversation.id] }),
      ).toBe(0);
      expect(
        await store.activeCount(bob.id, { excluding: [randomUUID()] }),
      ).toBe(1);

      const updated = await store.update(conversation.id, {
        dtmf: [{ at: '2025-06-02T08:00:05.000Z', digit: '#', durationMs: 120 }],
        quality: { packetsReceived: 250, packetsLost: 1 },
        metadata: { ucid: '00001', callType: 'mobile' },
      });
      expect(updated.dtmf).toEqual([
        { at: '2025-06-02T08:00:05.000Z', digit: '#', durationMs: 120 },
      ]);
      expect(updated.metadata).toEqual({ ucid: '00001', callType: 'mobile' });

      const bytes = 5_000_000_000; // larger than a 32-bit integer
      const fin = await store.finish(conversation.id, {
        endedAt: new Date('2025-06-02T08:05:30.000Z'),
        endedBy: 'bye',
        storageKey: `2025/06/02/${conversation.id}.opus`,
        sha256: 'AB'.repeat(32),
        bytes,
        format: 'audio/ogg; codecs=opus',
        quality: { packetsReceived: 16500, packetsLost: 3, gaps: 0 },
      });
      expect(fin.finished).toBe(true);
      expect(fin.conversation).toMatchObject({
        state: 'finished',
        endedBy: 'bye',
        endedAt: '2025-06-02T08:05:30.000Z',
        durationMs: 330_000,
        sha256: 'ab'.repeat(32),
        bytes,
        format: 'audio/ogg; codecs=opus',
        quality: { packetsReceived: 16500, packetsLost: 3, gaps: 0 },
      });
      expect(await store.activeCount(bob.id)).toBe(0);
      expect(await store.get(conversation.id)).toEqual(fin.conversation);
    });

    it('finish is idempotent: the first finish wins', async () => {
      const { conversation } = await store.begin(beginInput());
      const first = await store.finish(conversation.id, {
        endedAt: new Date('2025-06-02T08:01:00.000Z'),
        endedBy: 'bye',
        storageKey: 'k1',
        sha256: 'a'.repeat(64),
        bytes: 10,
        format: 'wav',
      });
      const retry = await store.finish(conversation.id, {
        endedAt: new Date('2025-06-02T09:00:00.000Z'),
        endedBy: 'shutdown',
        storageKey: 'k2',
        sha256: 'b'.repeat(64),
        bytes: 20,
        format: 'wav',
      });
      expect(retry.finished).toBe(false);
      expect(retry.conversation).toEqual(first.conversation);
      expect(retry.conversation.storageKey).toBe('k1');
      // finished conversations are immutable
      const e = await rejection(
        store.update(conversation.id, { quality: { gaps: 1 } }),
      );
      expect(e.code).toBe('conflict');
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(/is finished, no longer recording/);
    });

    it('finish writes the DTMF events and quality given with it, and returns the row as stored', async () => {
      const { conversation } = await store.begin(beginInput());
      const dtmf = [{ at: '2025-06-02T08:00:05.000Z', digit: '5', durationMs: 120 }];
      const { conversation: done, finished } = await store.finish(conversation.id, {
        endedAt: new Date('2025-06-02T08:00:40.000Z'),
        endedBy: 'bye',
        storageKey: 'k-dtmf',
        sha256: 'C'.repeat(64),
        bytes: 10,
        format: 'audio/wav',
        durationMs: 39_500,
        quality: { gaps: 2 },
        dtmf,
      });
      expect(finished).toBe(true);
      expect(done).toMatchObject({
        state: 'finished',
        dtmf,
        quality: { gaps: 2 },
        durationMs: 39_500,
        sha256: 'c'.repeat(64),
      });
      // what finish returns is what is stored (one UPDATE ... RETURNING)
      expect(await store.get(conversation.id)).toEqual(done);
      // a second finish changes nothing, not even the DTMF events
      const again = await store.finish(conversation.id, {
        endedAt: new Date('2025-06-02T08:01:00.000Z'),
        endedBy: 'shutdown',
        durationMs: 1,
        dtmf: [],
      });
      expect(again).toEqual({ conversation: done, finished: false });
    });

    it('a conversation without audio or ended by error is failed', async () => {
      const { conversation } = await store.begin(beginInput());
      const { conversation: failed } = await store.finish(conversation.id, {
        endedAt: new Date('2025-06-02T08:00:10.000Z'),
        endedBy: 'error',
        failureReason: 'no RTP received',
      });
      expect(failed).toMatchObject({
        state: 'failed',
        endedBy: 'error',
        failureReason: 'no RTP received',
        durationMs: 10_000,
      });
      const { conversation: c2 } = await store.begin(beginInput());
      const { conversation: noAudio } = await store.finish(c2.id, {
        endedAt: new Date('2025-06-02T08:00:10.000Z'),
        endedBy: 'timeout',
      });
      expect(noAudio).toMatchObject({
        state: 'failed',
        failureReason: 'no audio was stored',
      });
    });

    it('begin is idempotent on a caller-given id', async () => {
      const id = randomUUID();
      const input = beginInput({ id });
      const a = await store.begin(input);
      const b = await store.begin(input);
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.conversation.id).toBe(id);
      const clash = await rejection(
        store.begin({ ...input, sipCallId: 'another-call' }),
      );
      expect(clash.code).toBe('conflict');
      const bad = await rejection(
        store.begin(beginInput({ id: 'not-a-uuid' })),
      );
      expect(bad.code).toBe('invalid');
      await store.finish(id, { endedAt: new Date(), endedBy: 'cancel' });
    });

    it('unknown ids are not-found errors', async () => {
      const id = randomUUID();
      expect(await store.get(id)).toBeUndefined();
      expect((await rejection(store.update(id, { codec: 'PCMU' }))).code).toBe(
        'not-found',
      );
      expect(
        (
          await rejection(
            store.finish(id, { endedAt: new Date(), endedBy: 'bye' }),
          )
        ).code,
      ).toBe('not-found');
    });

    it('lists conversations in progress per source and instance', async () => {
      const a = await store.begin(
        beginInput({ captureSource: 'siprec', captureInstance: 'rec-1' }),
      );
      const b = await store.begin(
        beginInput({ captureSource: 'siprec', captureInstance: 'rec-2' }),
      );
      await store.begin(beginInput({ captureSource: 'other' }));
      const all = await store.listInProgress({ captureSource: 'siprec' });
      expect(all.map(c => c.id).sort()).toEqual(
        [a.conversation.id, b.conversation.id].sort(),
      );
      const mine = await store.listInProgress({
        captureSource: 'siprec',
        captureInstance: 'rec-1',
      });
      expect(mine.map(c => c.id)).toEqual([a.conversation.id]);
      expect(mine[0].captureInstance).toBe('rec-1');
    });

    it('records refused sessions', async () => {
      const { refused, created } = await store.recordRefused({
        at: new Date('2025-06-02T07:00:00.000Z'),
        participants: [{ aor: 'sip:+32470123456@sbc' }, { aor: 'sip:112@sbc' }],
        recordedNumber: bob,
        reason: 'emergency-number',
        message: 'calls with emergency number 112 are never recorded',
        sipCallId: 'refused-1',
        responseCode: 403,
        captureSource: 'siprec',
      });
      expect(refused).toMatchObject({
        at: '2025-06-02T07:00:00.000Z',
        recordedNumberId: bob.id,
        number: '+32470123456',
        userRef: 'user:default/bob',
        reason: 'emergency-number',
        responseCode: 403,
        sipCallId: 'refused-1',
        captureSource: 'siprec',
      });
      const { refused: unknown } = await store.recordRefused({
        at: new Date('2025-06-02T07:01:00.000Z'),
        participants: [{ aor: 'sip:+32499999999@sbc' }],
        reason: 'unknown-number',
        sipCallId: 'refused-2',
        responseCode: 404,
        captureSource: 'siprec',
      });
      expect(created).toBe(true);
      expect(unknown.recordedNumberId).toBeUndefined();
      expect(unknown.number).toBeUndefined();
      const list = await store.listRefused();
      expect(list.map(r => r.sipCallId)).toEqual(['refused-2', 'refused-1']);
    });

    it('stores Call-IDs of any length and with NUL or control bytes, in conversations and refused sessions', async () => {
      const long = `${'7'.repeat(290)}@sbc.net`;
      const binary = 'nul\u0000and\u001besc@sbc';
      const huge = `${'k'.repeat(5000)}@sbc`;
      for (const sipCallId of [long, binary, huge]) {
        const stored = storedSipIdentifier(sipCallId);
        const { conversation } = await store.begin(
          beginInput({
            sipCallId,
            siprecSessionId: `s\u0000${'x'.repeat(400)}`,
            otherParty: `name\u0000${'y'.repeat(300)}`,
          }),
        );
        expect(conversation.sipCallId).toBe(stored);
        const row = await knex('vr_conversations')
          .where('sip_call_id', stored)
          .first();
        expect(row.id).toBe(conversation.id);
        expect(row.other_party).toHaveLength(255);
        expect(row.other_party).not.toContain('\u0000');
        // a retried begin with the same id finds the row by the same stored form
        const again = await store.begin(
          beginInput({ id: conversation.id, sipCallId }),
        );
        expect(again.created).toBe(false);
        const { refused } = await store.recordRefused({
          at: new Date('2025-06-02T07:00:00.000Z'),
          participants: [{ aor: 'sip:+32470123456@sbc' }],
          recordedNumber: bob,
          reason: 'manual-private',
          message: 'detail with a NUL \u0000 from the request',
          sipCallId,
          responseCode: 403,
          captureSource: 'siprec',
        });
        expect(refused.sipCallId).toBe(stored);
        expect(
          await knex('vr_refused_sessions').where('sip_call_id', stored).first(),
        ).toMatchObject({ id: refused.id, response_code: 403 });
      }
      expect(storedSipIdentifier(long)).toBe(long);
      expect(storedSipIdentifier(huge)).toHaveLength(1024);
    });

    it('keeps a refused session once when it is recorded again under its id', async () => {
      const id = '0b6c3f5e-1d2a-4c8e-9f00-5a1b2c3d4e5f';
      const input = {
        id,
        at: new Date('2025-06-02T08:00:00.000Z'),
        participants: [{ aor: 'sip:+32470123456@sbc' }],
        recordedNumber: bob,
        reason: 'outside-schedule' as const,
        sipCallId: 'refused-retried',
        responseCode: 403,
        captureSource: 'siprec',
      };
      const first = await store.recordRefused(input);
      const again = await store.recordRefused(input);
      expect(first).toMatchObject({ created: true, refused: { id } });
      expect(again).toEqual({ created: false, refused: first.refused });
      const list = await store.listRefused();
      expect(list.filter(r => r.sipCallId === 'refused-retried')).toHaveLength(1);
      await expect(
        store.recordRefused({ ...input, id: 'not-a-uuid' }),
      ).rejects.toMatchObject({ code: 'invalid' });
    });

    it('keeps conversations when their number is deleted', async () => {
      const carol = await numbers.create({
        number: '+32471234567',
        userRef: 'user:default/carol',
        mvrActive: true,
        fmu: false,
        settings,
        slots: [{ weekdays: [1], start: '08:00', end: '18:00' }],
      });
      const { conversation } = await store.begin(
        beginInput({ recordedNumber: carol }),
      );
      expect(await numbers.delete(carol.id)).toBe(true);
      const kept = await store.get(conversation.id);
      expect(kept).toMatchObject({
        number: '+32471234567',
        userRef: 'user:default/carol',
      });
      expect(kept!.recordedNumberId).toBeUndefined();
      // a call whose number was deleted after the decision is still stored
      const late = await store.begin(beginInput({ recordedNumber: carol }));
      expect(late.created).toBe(true);
      expect(late.conversation.recordedNumberId).toBeUndefined();
      expect(late.conversation.number).toBe('+32471234567');
      const stored = await store.get(late.conversation.id);
      expect(stored).toMatchObject({
        number: '+32471234567',
        userRef: 'user:default/carol',
        state: 'recording',
      });
      expect(stored?.recordedNumberId).toBeUndefined();
    });

    describe('background compression of archives', () => {
      const OPUS = 'audio/ogg; codecs=opus';
      /** A capture source of its own per test: the listings see only that test's rows. */
      const newSource = () => `compress-${randomUUID()}`;

      /** A finished conversation whose interim WAV archive awaits compression. */
      async function finishedWav(
        captureSource: string,
        over: Partial<ConversationBeginRecord> = {},
        sha256 = 'AB'.repeat(32),
      ) {
        const { conversation } = await store.begin(
          beginInput({ captureSource, ...over }),
        );
        const startedAt = new Date(conversation.startedAt).getTime();
        const { conversation: done } = await store.finish(conversation.id, {
          endedAt: new Date(startedAt + 61_000),
          endedBy: 'bye',
          storageKey: `interim/${conversation.id}.wav`,
          sha256,
          bytes: 976_044,
          format: 'audio/wav',
          compressTo: 'opus',
        });
        return done;
      }

      const replacement = (c: Conversation) => ({
        expected: { storageKey: c.storageKey!, sha256: c.sha256! },
        storageKey: `archive/${c.id}.opus`,
        sha256: 'CD'.repeat(32),
        bytes: 5_000_000_000, // larger than a 32-bit integer
        format: OPUS,
      });

      it('finish with compressTo lists the archive, oldest first, per source and instance', async () => {
        const source = newSource();
        const a = await finishedWav(source, {
          startedAt: new Date('2025-06-02T08:02:00.000Z'),
          captureInstance: 'rec-1',
        });
        const b = await finishedWav(
          source,
          {
            startedAt: new Date('2025-06-02T08:00:00.000Z'),
            captureInstance: 'rec-2',
          },
          'EF'.repeat(32),
        );
        const c = await finishedWav(source, {
          startedAt: new Date('2025-06-02T08:01:00.000Z'),
          captureInstance: 'rec-1',
        });
        expect(a).toMatchObject({
          state: 'finished',
          storageKey: `interim/${a.id}.wav`,
          sha256: 'ab'.repeat(32),
          format: 'audio/wav',
          compressTo: 'opus',
        });
        expect(await store.get(a.id)).toEqual(a);
        // not listed: another source, no compression asked, still recording
        const elsewhere = await finishedWav(newSource());
        const { conversation: plain } = await store.begin(
          beginInput({ captureSource: source }),
        );
        const { conversation: plainDone } = await store.finish(plain.id, {
          endedAt: new Date('2025-06-02T08:03:00.000Z'),
          endedBy: 'bye',
          storageKey: `archive/${plain.id}.opus`,
          sha256: '12'.repeat(32),
          bytes: 4_000,
          format: OPUS,
        });
        expect(plainDone.state).toBe('finished');
        expect(plainDone).not.toHaveProperty('compressTo');
        await store.begin(beginInput({ captureSource: source }));

        const item = (conv: Conversation, sha256: string) => ({
          conversationId: conv.id,
          startedAt: conv.startedAt,
          storageKey: `interim/${conv.id}.wav`,
          sha256,
          format: 'audio/wav',
          durationMs: 61_000,
          compressTo: 'opus',
          sipCallId: conv.sipCallId,
          ...(conv.endedBy ? { endedBy: conv.endedBy } : {}),
        });
        const all = await store.listArchivesToCompress({
          captureSource: source,
          limit: 10,
        });
        expect(all).toStrictEqual([
          item(b, 'ef'.repeat(32)),
          item(c, 'ab'.repeat(32)),
          item(a, 'ab'.repeat(32)),
        ]);
        expect(
          (
            await store.listArchivesToCompress({
              captureSource: source,
              limit: 2,
            })
          ).map(i => i.conversationId),
        ).toEqual([b.id, c.id]);
        expect(
          (
            await store.listArchivesToCompress({
              captureSource: source,
              captureInstance: 'rec-1',
              limit: 10,
            })
          ).map(i => i.conversationId),
        ).toEqual([c.id, a.id]);
        expect(
          await store.listArchivesToCompress({
            captureSource: source,
            captureInstance: 'rec-3',
            limit: 10,
          }),
        ).toEqual([]);
        expect(
          (
            await store.listArchivesToCompress({
              captureSource: elsewhere.captureSource,
              limit: 10,
            })
          ).map(i => i.conversationId),
        ).toEqual([elsewhere.id]);
      });

      it('a failed conversation ignores compressTo', async () => {
        const source = newSource();
        const { conversation: e } = await store.begin(
          beginInput({ captureSource: source }),
        );
        const { conversation: errored } = await store.finish(e.id, {
          endedAt: new Date('2025-06-02T08:00:30.000Z'),
          endedBy: 'error',
          storageKey: `interim/${e.id}.wav`,
          sha256: 'ab'.repeat(32),
          bytes: 480_044,
          format: 'audio/wav',
          failureReason: 'disk full while writing',
          compressTo: 'opus',
        });
        expect(errored).toMatchObject({
          state: 'failed',
          storageKey: `interim/${e.id}.wav`,
        });
        expect(errored).not.toHaveProperty('compressTo');
        const { conversation: n } = await store.begin(
          beginInput({ captureSource: source }),
        );
        const { conversation: noAudio } = await store.finish(n.id, {
          endedAt: new Date('2025-06-02T08:00:30.000Z'),
          endedBy: 'bye',
          compressTo: 'opus',
        });
        expect(noAudio).toMatchObject({
          state: 'failed',
          failureReason: 'no audio was stored',
        });
        expect(noAudio).not.toHaveProperty('compressTo');
        const rows = await knex('vr_conversations')
          .whereIn('id', [e.id, n.id])
          .select('compress_to', 'superseded_storage_key');
        expect(rows).toEqual([
          { compress_to: null, superseded_storage_key: null },
          { compress_to: null, superseded_storage_key: null },
        ]);
        expect(
          await store.listArchivesToCompress({
            captureSource: source,
            limit: 10,
          }),
        ).toEqual([]);
        // and neither can be replaced
        expect(
          await store.replaceArchive(e.id, replacement(errored)),
        ).toBeUndefined();
      });

      it('replaces the archive once; the same replacement again is stale', async () => {
        const source = newSource();
        const wav = await finishedWav(source);
        const input = replacement(wav);
        // the expected hash may be given in upper case, like finish's
        input.expected.sha256 = input.expected.sha256.toUpperCase();
        const done = await store.replaceArchive(wav.id, input);
        expect(done).toBeDefined();
        expect(done!.replaced).toStrictEqual({
          storageKey: `interim/${wav.id}.wav`,
          sha256: 'ab'.repeat(32),
          format: 'audio/wav',
          bytes: 976_044,
        });
        expect(done!.number).toBe(wav.number);
        const replaced = await store.get(wav.id);
        // the row as the replacement left it comes with it (what the signature covers)
        expect(done!.conversation).toEqual(replaced);
        expect(replaced).toMatchObject({
          id: wav.id,
          state: 'finished',
          storageKey: `archive/${wav.id}.opus`,
          sha256: 'cd'.repeat(32),
          bytes: 5_000_000_000,
          format: OPUS,
          durationMs: 61_000,
          endedBy: 'bye',
          endedAt: wav.endedAt,
        });
        expect(replaced).not.toHaveProperty('compressTo');
        // listed again only for the interim file still to delete
        expect(
          await store.listArchivesToCompress({
            captureSource: source,
            limit: 10,
          }),
        ).toStrictEqual([
          {
            conversationId: wav.id,
            startedAt: wav.startedAt,
            storageKey: `archive/${wav.id}.opus`,
            sha256: 'cd'.repeat(32),
            format: OPUS,
            durationMs: 61_000,
            supersededStorageKey: `interim/${wav.id}.wav`,
          },
        ]);

        expect(await store.replaceArchive(wav.id, input)).toBeUndefined();
        // and from the new archive: it awaits no compression any more
        expect(
          await store.replaceArchive(wav.id, {
            ...input,
            expected: {
              storageKey: `archive/${wav.id}.opus`,
              sha256: 'cd'.repeat(32),
            },
            storageKey: `archive/${wav.id}.2.opus`,
          }),
        ).toBeUndefined();
        expect(await store.get(wav.id)).toEqual(replaced);
      });

      it('is stale, changing nothing, when the conversation no longer stores the expected archive', async () => {
        const source = newSource();
        const wav = await finishedWav(source);
        const input = replacement(wav);
        expect(
          await store.replaceArchive(wav.id, {
            ...input,
            expected: { ...input.expected, sha256: 'ef'.repeat(32) },
          }),
        ).toBeUndefined();
        expect(
          await store.replaceArchive(wav.id, {
            ...input,
            expected: { ...input.expected, storageKey: 'interim/other.wav' },
          }),
        ).toBeUndefined();
        expect(
          await store.replaceArchive(randomUUID(), input),
        ).toBeUndefined();
        expect(await store.get(wav.id)).toEqual(wav);

        // finished without compressTo: its archive is final
        const { conversation: plain } = await store.begin(
          beginInput({ captureSource: source }),
        );
        const { conversation: final } = await store.finish(plain.id, {
          endedAt: new Date('2025-06-02T08:01:00.000Z'),
          endedBy: 'bye',
          storageKey: `archive/${plain.id}.opus`,
          sha256: '34'.repeat(32),
          bytes: 4_000,
          format: OPUS,
        });
        expect(
          await store.replaceArchive(plain.id, {
            ...replacement(final),
            storageKey: `archive/${plain.id}.2.opus`,
          }),
        ).toBeUndefined();
        expect(await store.get(plain.id)).toEqual(final);

        // still awaiting its compression
        expect(
          (
            await store.listArchivesToCompress({
              captureSource: source,
              limit: 10,
            })
          ).map(i => [i.conversationId, i.compressTo, i.storageKey]),
        ).toEqual([[wav.id, 'opus', `interim/${wav.id}.wav`]]);
      });

      it('forgets the superseded archive only by its key', async () => {
        const source = newSource();
        const wav = await finishedWav(source);
        await store.replaceArchive(wav.id, replacement(wav));
        const list = () =>
          store.listArchivesToCompress({ captureSource: source, limit: 10 });

        await store.forgetSupersededArchive(wav.id, `archive/${wav.id}.opus`);
        await store.forgetSupersededArchive(randomUUID(), `interim/${wav.id}.wav`);
        expect((await list()).map(i => i.supersededStorageKey)).toEqual([
          `interim/${wav.id}.wav`,
        ]);

        await store.forgetSupersededArchive(wav.id, `interim/${wav.id}.wav`);
        expect(await list()).toEqual([]);
        const row = await knex('vr_conversations')
          .where('id', wav.id)
          .first('storage_key', 'compress_to', 'superseded_storage_key');
        expect(row).toEqual({
          storage_key: `archive/${wav.id}.opus`,
          compress_to: null,
          superseded_storage_key: null,
        });
        // forgetting twice is harmless
        await store.forgetSupersededArchive(wav.id, `interim/${wav.id}.wav`);
        expect((await store.get(wav.id))?.storageKey).toBe(
          `archive/${wav.id}.opus`,
        );
      });

      it('rejects a malformed replacement or listing as invalid', async () => {
        const source = newSource();
        const wav = await finishedWav(source);
        const input = replacement(wav);
        const invalid = async (
          p: Promise<unknown>,
          message: RegExp,
          operation = 'conversations.replaceArchive',
        ) => {
          const e = await rejection(p);
          expect(e.code).toBe('invalid');
          expect(e.retryable).toBe(false);
          expect(e.operation).toBe(operation);
          expect(e.message).toMatch(message);
        };
        await invalid(
          store.replaceArchive(wav.id, { ...input, sha256: 'not-a-hash' }),
          /sha256 "not-a-hash" is not 64 hexadecimal digits/,
        );
        await invalid(
          store.replaceArchive(wav.id, { ...input, sha256: 'cd'.repeat(31) }),
          /is not 64 hexadecimal digits/,
        );
        // the replaced file is deleted afterwards: it must not be the new one
        await invalid(
          store.replaceArchive(wav.id, {
            ...input,
            storageKey: input.expected.storageKey,
          }),
          /storage key "interim\/.*\.wav" must differ from the replaced archive's/,
        );
        await invalid(
          store.replaceArchive(wav.id, { ...input, storageKey: '' }),
          /storage key is empty/,
        );
        await invalid(
          store.replaceArchive(wav.id, { ...input, bytes: -1 }),
          /bytes -1 is not a non-negative integer/,
        );
        await invalid(
          store.replaceArchive(wav.id, { ...input, format: '' }),
          /format is empty/,
        );
        expect(await store.get(wav.id)).toEqual(wav);
        for (const limit of [0, -1, 1.5, Number.NaN]) {
          await invalid(
            store.listArchivesToCompress({ captureSource: source, limit }),
            new RegExp(`limit ${limit} is not a positive integer`),
            'conversations.listArchivesToCompress',
          );
        }
      });
    });

    it('the conversation tables migrate down and up', async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest(migrationConfig);
      expect(await db.schema.hasTable('vr_conversations')).toBe(true);
      expect(await db.schema.hasTable('vr_refused_sessions')).toBe(true);
      const sqlite = databaseId.startsWith('SQLITE');
      expect(await db.schema.hasTable('vr_conversations_phone')).toBe(sqlite);
      // the participant history and recording-stop columns come off with their migration
      // (by name: later migrations are other features')
      for (const column of ['participant_history', 'recording_stopped']) {
        expect(await db.schema.hasColumn('vr_conversations', column)).toBe(true);
      }
      const history = '20261205012158_conversation_participant_history.js';
      await db.migrate.down({ ...migrationConfig, name: history });
      for (const column of ['participant_history', 'recording_stopped']) {
        expect(await db.schema.hasColumn('vr_conversations', column)).toBe(false);
      }
      // every migration after the archive compression one comes off, newest first
      const [done] = (await db.migrate.list(migrationConfig)) as [
        Array<{ name: string } | string>,
        unknown,
      ];
      const later = done
        .map(m => (typeof m === 'string' ? m : m.name))
        .filter(n => n > '20251001000000_archive_compression.js')
        .sort()
        .reverse();
      for (const name of later) await db.migrate.down({ ...migrationConfig, name });
      // then the archive compression columns
      expect(await db.schema.hasColumn('vr_conversations', 'compress_to')).toBe(
        true,
      );
      await db.migrate.down(migrationConfig);
      expect(await db.schema.hasColumn('vr_conversations', 'compress_to')).toBe(
        false,
      );
      // the phone-search triggers survived the columns' removal (SQLite's own DROP COLUMN)
      const triggers = sqlite
        ? await db('sqlite_master')
            .where({ type: 'trigger', tbl_name: 'vr_conversations' })
            .pluck('name')
        : [];
      expect(triggers.sort()).toEqual(
        sqlite
          ? [
              'vr_conversations_phone_ad',
              'vr_conversations_phone_ai',
              'vr_conversations_phone_au',
            ]
          : [],
      );
      expect(await db.schema.hasTable('vr_conversations_phone')).toBe(sqlite);
      // then the phone FTS index (SQLite only)
      await db.migrate.down(migrationConfig);
      expect(await db.schema.hasTable('vr_conversations_phone')).toBe(false);
      // then the search migration (digits columns, indexes)
      await db.migrate.down(migrationConfig);
      expect(await db.schema.hasColumn('vr_conversations', 'number_digits')).toBe(
        false,
      );
      await db.migrate.down(migrationConfig);
      expect(await db.schema.hasTable('vr_conversations')).toBe(false);
      expect(await db.schema.hasTable('vr_refused_sessions')).toBe(false);
      expect(await db.schema.hasTable('vr_numbers')).toBe(true);
      await db.migrate.latest(migrationConfig);
      expect(await db.schema.hasTable('vr_conversations')).toBe(true);
      expect(await db.schema.hasColumn('vr_conversations', 'number_digits')).toBe(
        true,
      );
      expect(await db.schema.hasTable('vr_conversations_phone')).toBe(sqlite);
      expect(await db.schema.hasColumn('vr_conversations', 'compress_to')).toBe(
        true,
      );
      await db.destroy();
    });

    it('a lost database is an unavailable, retryable error', async () => {
      const db = await databases.init(databaseId);
      await applyDatabaseMigrations(db);
      const lost = new KnexConversationsStore(db);
      const { conversation } = await lost.begin(beginInput());
      await db.destroy();
      const e = await rejection(
        lost.finish(conversation.id, { endedAt: new Date(), endedBy: 'bye' }),
      );
      expect(e).toBeInstanceOf(CaptureStoreError);
      expect(e.code).toBe('unavailable');
      expect(e.retryable).toBe(true);
      expect(e.operation).toBe('conversations.finish');
      expect(e.message).toMatch(/^conversations\.finish: database unavailable/);
    });
  },
);

describe('toCaptureStoreError', () => {
  it('treats a refused PostgreSQL connection as unavailable', async () => {
    const db = knexFactory({
      client: 'pg',
      connection: 'postgresql://postgres@127.0.0.1:1/none',
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 5_000,
      log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    });
    try {
      const e = await rejection(
        new KnexConversationsStore(db).activeCount(randomUUID()),
      );
      expect(e.code).toBe('unavailable');
      expect(e.retryable).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it('classifies database error codes', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(toCaptureStoreError('op', err('57P01')).code).toBe('unavailable');
    expect(toCaptureStoreError('op', err('08006')).code).toBe('unavailable');
    expect(toCaptureStoreError('op', err('SQLITE_BUSY')).code).toBe(
      'unavailable',
    );
    // disk full (PostgreSQL, SQLite), an I/O error, a database closed to connections
    expect(toCaptureStoreError('op', err('53100')).code).toBe('unavailable');
    expect(toCaptureStoreError('op', err('SQLITE_FULL')).code).toBe(
      'unavailable',
    );
    expect(toCaptureStoreError('op', err('SQLITE_IOERR_WRITE')).code).toBe(
      'unavailable',
    );
    expect(toCaptureStoreError('op', err('SQLITE_ERROR')).code).toBe('failed');
    const closed = Object.assign(
      new Error('database "mvr" is not currently accepting connections'),
      { code: '55000' },
    );
    expect(toCaptureStoreError('op', closed).code).toBe('unavailable');
    const autoRolledBack = Object.assign(
      new Error('ROLLBACK - cannot rollback - no transaction is active'),
      { code: 'SQLITE_ERROR' },
    );
    expect(toCaptureStoreError('op', autoRolledBack).code).toBe('unavailable');
    expect(toCaptureStoreError('op', err('23505')).code).toBe('conflict');
    expect(
      toCaptureStoreError('op', err('SQLITE_CONSTRAINT_PRIMARYKEY')).code,
    ).toBe('conflict');
    expect(toCaptureStoreError('op', err('23502')).code).toBe('invalid');
    expect(toCaptureStoreError('op', err('42P01')).code).toBe('failed');
    expect(toCaptureStoreError('op', err('42P01')).retryable).toBe(false);
    const agg = Object.assign(new Error(''), {
      errors: [err('ECONNREFUSED'), err('ECONNREFUSED')],
    });
    expect(toCaptureStoreError('op', agg).code).toBe('unavailable');
  });
});
