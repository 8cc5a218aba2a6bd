import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  ConversationBeginRecord,
  KnexConversationsStore,
  RefusedSessionRecord,
} from './ConversationsStore';
import { NumberRecord } from './NumbersStore';
import {
  captureStoreRejection as rejection,
  openRecordingStores,
} from './__testUtils__/recordingStores';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/**
 * conversations.withdrawRefused (issue 20): a call answered 503 because its
 * conversation row came after the set-up budget is a refused session, not a
 * conversation.
 */
describe.each(databases.eachSupportedId())(
  'KnexConversationsStore.withdrawRefused on %s',
  databaseId => {
    let knex: Knex;
    let store: KnexConversationsStore;
    let bob: NumberRecord;

    const begin = (over: Partial<ConversationBeginRecord> = {}) =>
      store.begin({
        id: randomUUID(),
        recordedNumber: bob,
        direction: 'outgoing',
        otherParty: '+32471000001',
        startedAt: new Date('2026-12-06T08:00:00.000Z'),
        sipCallId: `call-${randomUUID()}`,
        participants: [
          { aor: 'sip:+32470123456@sbc.example', number: '+32470123456' },
          { aor: 'tel:+32471000001', number: '+32471000001' },
        ],
        captureSource: 'siprec',
        captureInstance: 'rec-1',
        ...over,
      });
    const refusalOf = (
      sipCallId: string,
      over: Partial<RefusedSessionRecord> = {},
    ): RefusedSessionRecord => ({
      id: randomUUID(),
      at: new Date('2026-12-06T08:00:01.000Z'),
      participants: [
        { aor: 'sip:+32470123456@sbc.example', number: '+32470123456' },
      ],
      recordedNumber: bob,
      reason: 'storage-unavailable',
      message:
        'conversations.begin: no answer from the database within the call set-up budget of 1000 ms',
      sipCallId,
      responseCode: 503,
      captureSource: 'siprec',
      captureInstance: 'rec-1',
      ...over,
    });
    const refusedRows = (sipCallId: string) =>
      knex('vr_refused_sessions').where({ sip_call_id: sipCallId });

    beforeAll(async () => {
      let addNumber: Awaited<
        ReturnType<typeof openRecordingStores>
      >['addNumber'];
      ({ knex, store, addNumber } = await openRecordingStores(
        databases,
        databaseId,
      ));
      bob = await addNumber('+32470123456', 'user:default/Bob', {
        simultaneousCalls: false,
      });
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('deletes a fresh recording conversation with its labels and keeps the refused session', async () => {
      const { conversation } = await begin();
      const labelId = randomUUID();
      await knex('vr_labels').insert({
        id: labelId,
        title: `case ${labelId}`,
        colour: '#112233',
        created_by: 'user:default/admin',
      });
      await knex('vr_conversation_labels').insert({
        conversation_id: conversation.id,
        label_id: labelId,
        added_by: 'user:default/admin',
      });
      const refusal = refusalOf(conversation.sipCallId);

      const result = await store.withdrawRefused(conversation.id, refusal);

      expect(result.withdrawn?.id).toBe(conversation.id);
      expect(result.created).toBe(true);
      expect(result.refused).toMatchObject({
        id: refusal.id,
        reason: 'storage-unavailable',
        responseCode: 503,
        sipCallId: conversation.sipCallId,
        number: '+32470123456',
        recordedNumberId: bob.id,
        message: refusal.message,
        captureInstance: 'rec-1',
      });
      expect(await store.get(conversation.id)).toBeUndefined();
      expect(
        await knex('vr_conversation_labels').where({
          conversation_id: conversation.id,
        }),
      ).toEqual([]);
      expect(await store.activeCount(bob.id)).toBe(0);
      expect(
        (await refusedRows(conversation.sipCallId)).map(r => r.id),
      ).toEqual([refusal.id]);
    });

    it('is idempotent: a retry keeps one refused session and withdraws nothing more', async () => {
      const { conversation } = await begin();
      const refusal = refusalOf(conversation.sipCallId);
      await store.withdrawRefused(conversation.id, refusal);

      const retry = await store.withdrawRefused(conversation.id, refusal);

      expect(retry.withdrawn).toBeUndefined();
      expect(retry.created).toBe(false);
      expect(retry.refused.id).toBe(refusal.id);
      expect(await refusedRows(conversation.sipCallId)).toHaveLength(1);
    });

    it('keeps the refused session written first under the same id (the recorder already recorded the 503)', async () => {
      const { conversation } = await begin();
      const refusal = refusalOf(conversation.sipCallId);
      const first = await store.recordRefused(refusal);
      expect(first.created).toBe(true);

      const result = await store.withdrawRefused(conversation.id, {
        ...refusal,
        message: 'another text',
      });

      expect(result.withdrawn?.id).toBe(conversation.id);
      expect(result.created).toBe(false);
      expect(result.refused.message).toBe(refusal.message);
      expect(await store.get(conversation.id)).toBeUndefined();
      expect(await refusedRows(conversation.sipCallId)).toHaveLength(1);
      // and the record written after the withdrawal is not written twice either
      expect((await store.recordRefused(refusal)).created).toBe(false);
    });

    it('refuses a finished conversation, a failed one and one with an archive, changing nothing', async () => {
      const finished = (await begin()).conversation;
      await store.finish(finished.id, {
        endedAt: new Date('2026-12-06T08:05:00.000Z'),
        endedBy: 'bye',
        storageKey: `2026/12/06/${finished.id}.opus`,
        sha256: 'ab'.repeat(32),
        bytes: 1000,
        format: 'audio/ogg; codecs=opus',
      });
      const failed = (await begin()).conversation;
      await store.finish(failed.id, {
        endedAt: new Date('2026-12-06T08:00:02.000Z'),
        endedBy: 'error',
        failureReason: 'journal unreadable',
      });
      const archived = (await begin()).conversation;
      // a recording row that names an archive (never left so by the store: written here)
      await knex('vr_conversations')
        .where({ id: archived.id })
        .update({ storage_key: `2026/12/06/${archived.id}.wav` });

      const outcomes = [];
      for (const [c, state] of [
        [finished, 'finished'],
        [failed, 'failed'],
        [archived, 'recording'],
      ] as const) {
        const e = await rejection(
          store.withdrawRefused(c.id, refusalOf(c.sipCallId)),
        );
        outcomes.push({
          code: e.code,
          message: e.message,
          state: (await store.get(c.id))?.state,
          refused: (await refusedRows(c.sipCallId)).length,
        });
        expect(state).toBe(outcomes[outcomes.length - 1].state);
      }
      expect(outcomes).toEqual([
        {
          code: 'conflict',
          message: `conversations.withdrawRefused: conversation ${finished.id} cannot be withdrawn: it is finished`,
          state: 'finished',
          refused: 0,
        },
        {
          code: 'conflict',
          message: `conversations.withdrawRefused: conversation ${failed.id} cannot be withdrawn: it is failed`,
          state: 'failed',
          refused: 0,
        },
        {
          code: 'conflict',
          message: `conversations.withdrawRefused: conversation ${archived.id} cannot be withdrawn: its archive is registered`,
          state: 'recording',
          refused: 0,
        },
      ]);
    });

    it('is atomic: when the refused session cannot be written, the conversation stays', async () => {
      const { conversation } = await begin();
      // capture_source is NOT NULL: the insert fails after the delete, in the same transaction
      const broken = {
        ...refusalOf(conversation.sipCallId),
        captureSource: null as unknown as string,
      };

      const e = await rejection(store.withdrawRefused(conversation.id, broken));

      expect(e.code).toBe('invalid');
      expect((await store.get(conversation.id))?.state).toBe('recording');
      expect(await refusedRows(conversation.sipCallId)).toEqual([]);
      // a later attempt with a whole record withdraws it
      const retry = await store.withdrawRefused(
        conversation.id,
        refusalOf(conversation.sipCallId),
      );
      expect(retry.withdrawn?.id).toBe(conversation.id);
    });

    it('keeps the refused session when the conversation was never written', async () => {
      const id = randomUUID();
      const refusal = refusalOf(`call-${randomUUID()}`);
      const result = await store.withdrawRefused(id, refusal);
      expect(result).toMatchObject({
        created: true,
        refused: { id: refusal.id },
      });
      expect(result.withdrawn).toBeUndefined();
      expect(await refusedRows(refusal.sipCallId)).toHaveLength(1);
    });

    it('names a conversation id that is not a UUID', async () => {
      const e = await rejection(
        store.withdrawRefused('nope', refusalOf('call-x')),
      );
      expect([e.code, e.message]).toEqual([
        'invalid',
        'conversations.withdrawRefused: conversation id "nope" is not a UUID',
      ]);
    });
  },
);
