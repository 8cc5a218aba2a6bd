import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { NumberSettings } from '@mvr/plugin-voice-recording-common';
import {
  CaptureStoreError,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
import knexFactory, { Knex } from 'knex';
import {
  ConversationBeginRecord,
  KnexConversationsStore,
  toCaptureStoreError,
} from './ConversationsStore';
import { KnexNumbersStore, NumberRecord } from './NumbersStore';
import { applyDatabaseMigrations, migrationConfig } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const settings: NumberSettings = {
  beep: false,
  smsOnStatusChange: false,
  statusMode: 'auto',
  activeStatus: 'professional',
  selfManaged: false,
  simultaneousCalls: false,
  timeZone: 'Europe/Brussels',
};

async function rejection(p: Promise<unknown>): Promise<CaptureStoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isCaptureStoreError(e)) {
    throw new Error(`expected a CaptureStoreError, got ${String(e)}`);
  }
  return e;
}

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
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      store = new KnexConversationsStore(knex);
      numbers = new KnexNumbersStore(knex);
      bob = await numbers.create({
        number: '+32470123456',
        userRef: 'user:default/Bob',
        mvrActive: true,
        fmu: false,
        settings,
        slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
      });
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
      const refused = await store.recordRefused({
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
      const unknown = await store.recordRefused({
        at: new Date('2025-06-02T07:01:00.000Z'),
        participants: [{ aor: 'sip:+32499999999@sbc' }],
        reason: 'unknown-number',
        sipCallId: 'refused-2',
        responseCode: 404,
        captureSource: 'siprec',
      });
      expect(unknown.recordedNumberId).toBeUndefined();
      expect(unknown.number).toBeUndefined();
      const list = await store.listRefused();
      expect(list.map(r => r.sipCallId)).toEqual(['refused-2', 'refused-1']);
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
      expect(late.conversation.recordedNumberId).toBeUndefined();
      expect(late.conversation.number).toBe('+32471234567');
    });

    it('the conversation tables migrate down and up', async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest(migrationConfig);
      expect(await db.schema.hasTable('vr_conversations')).toBe(true);
      expect(await db.schema.hasTable('vr_refused_sessions')).toBe(true);
      // the phone FTS index (SQLite only) comes off first
      const sqlite = databaseId.startsWith('SQLITE');
      expect(await db.schema.hasTable('vr_conversations_phone')).toBe(sqlite);
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
