import { randomUUID } from 'node:crypto';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { NumberSettings } from '@mvr/plugin-voice-recording-common';
import {
  CaptureContext,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { KnexAuditLogStore } from '../database/AuditLogStore';
import { KnexConversationsStore } from '../database/ConversationsStore';
import { KnexNumbersStore, NumberRecord } from '../database/NumbersStore';
import { applyDatabaseMigrations } from '../database/util';
import { AuditRecorder } from '../service/AuditRecorder';
import { createCaptureContext } from './createCaptureContext';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const settings = (over: Partial<NumberSettings> = {}): NumberSettings => ({
  beep: false,
  smsOnStatusChange: false,
  statusMode: 'auto',
  activeStatus: 'professional',
  selfManaged: false,
  simultaneousCalls: false,
  timeZone: 'Europe/Brussels',
  ...over,
});

/** Monday 2 June 2025, 10:00 in Brussels: inside Mon-Fri 08:00-18:00. */
const MONDAY_10H = new Date('2025-06-02T08:00:00.000Z');
/** Saturday 7 June 2025, 12:00 in Brussels. */
const SATURDAY = new Date('2025-06-07T10:00:00.000Z');

const BOB = '+32470123456'; // auto, Mon-Fri 08-18, beep
const CAROL = '+32471234567'; // manual professional
const DAVE = '+32472345678'; // manual private
const ERIN = '+32473456789'; // MVR inactive
const CLIENT = '+32499887766'; // not recorded

describe.each(databases.eachSupportedId())(
  'createCaptureContext on %s',
  databaseId => {
    let knex: Knex;
    let ctx: CaptureContext;
    let auditLog: KnexAuditLogStore;
    /** the events given to the Backstage auditor (their severity is not in the audit log) */
    let auditorEvents: Array<{ eventId: string; severityLevel?: string; meta?: any }>;
    const n: Record<string, NumberRecord> = {};

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const numbers = new KnexNumbersStore(knex);
      const slots = [
        { weekdays: [1, 2, 3, 4, 5] as any, start: '08:00', end: '18:00' },
      ];
      const make = async (
        number: string,
        user: string,
        s: Partial<NumberSettings>,
        mvrActive = true,
      ) => {
        n[number] = await numbers.create({
          number,
          userRef: `user:default/${user}`,
          mvrActive,
          fmu: false,
          settings: settings(s),
          slots,
        });
      };
      await make(BOB, 'bob', { beep: true });
      await make(CAROL, 'carol', {
        statusMode: 'manual',
        simultaneousCalls: true,
      });
      await make(DAVE, 'dave', {
        statusMode: 'manual',
        activeStatus: 'private',
      });
      await make(ERIN, 'erin', {}, false);
      auditLog = new KnexAuditLogStore(knex);
      auditorEvents = [];
      const logger = mockServices.rootLogger({ level: 'none' });
      ctx = createCaptureContext({
        sourceId: 'siprec',
        numbers,
        conversations: new KnexConversationsStore(knex),
        audit: new AuditRecorder(
          mockServices.auditor.mock({
            createEvent: async (e: any) => {
              auditorEvents.push(e);
              return {
                success: async () => {},
                fail: async () => {},
              };
            },
          }),
          auditLog,
          logger,
        ),
        logger,
        config: {
          defaultCountry: 'BE',
          emergencyNumbers: ['112', '100', '101'],
        },
      });
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it.each([
      [`sip:${BOB}@sbc.example.net;user=phone`],
      [`tel:${BOB}`],
      ['0470 12 34 56'],
      ['0470123456'],
      ['32470123456'],
      ['0032470123456'],
      [`"Bob" <sip:${BOB}@sbc.example.net>`],
      [`sip:0470123456@sbc.example.net`],
    ])('finds the recorded party written as %s', async aor => {
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CLIENT}@operator.example`, aor],
        at: MONDAY_10H,
      });
      expect(r.recordedNumber).toMatchObject({
        id: n[BOB].id,
        number: BOB,
        userRef: 'user:default/bob',
      });
      expect(r.recordedNumber!.settings.beep).toBe(true);
      expect(r.otherParty).toBe(CLIENT);
      expect(r.direction).toBe('incoming');
      expect(r.decision).toEqual({
        record: true,
        reason: 'recording',
        beep: true,
        message: expect.stringContaining(BOB),
      });
      expect(r.participants[1]).toEqual({ aor, number: BOB, recorded: true });
      expect(r.participants[0]).toEqual({
        aor: `sip:${CLIENT}@operator.example`,
        number: CLIENT,
      });
    });

    it('derives the direction from the participants order, or from the hint', async () => {
      const out = await ctx.policy.lookupAndDecide({
        participants: [`sip:${BOB}@sbc`, `sip:${CLIENT}@sbc`],
        at: MONDAY_10H,
      });
      expect(out.direction).toBe('outgoing');
      expect(out.otherParty).toBe(CLIENT);
      const hinted = await ctx.policy.lookupAndDecide({
        participants: [`sip:${BOB}@sbc`, `sip:${CLIENT}@sbc`],
        at: MONDAY_10H,
        hints: { direction: 'incoming' },
      });
      expect(hinted.direction).toBe('incoming');
      // a lone participant says nothing about direction
      const alone = await ctx.policy.lookupAndDecide({
        participants: [`sip:${BOB}@sbc`],
        at: MONDAY_10H,
      });
      expect(alone.direction).toBeUndefined();
      expect(alone.otherParty).toBeUndefined();
      expect(alone.decision.record).toBe(true);
    });

    it('takes the recorded party from the hint when several numbers are recorded', async () => {
      // Bob calls Carol: both recorded; the session is Carol's leg
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${BOB}@sbc`, `sip:${CAROL}@sbc`],
        at: SATURDAY,
        hints: { recordedParty: 'tel:0471234567' },
      });
      expect(r.recordedNumber?.number).toBe(CAROL);
      expect(r.direction).toBe('incoming');
      expect(r.otherParty).toBe(BOB);
      expect(r.decision.record).toBe(true);
      // Bob's leg on a Saturday: outside his schedule
      const bob = await ctx.policy.lookupAndDecide({
        participants: [`sip:${BOB}@sbc`, `sip:${CAROL}@sbc`],
        at: SATURDAY,
        hints: { recordedParty: BOB },
      });
      expect(bob.recordedNumber?.number).toBe(BOB);
      expect(bob.direction).toBe('outgoing');
      expect(bob.decision).toMatchObject({
        record: false,
        reason: 'outside-schedule',
      });
      // no hint: the recorded number whose call must be recorded wins
      const none = await ctx.policy.lookupAndDecide({
        participants: [`sip:${BOB}@sbc`, `sip:${CAROL}@sbc`],
        at: SATURDAY,
      });
      expect(none.recordedNumber?.number).toBe(CAROL);
      // a hint that is not a recorded number falls back to the participants
      const stray = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CLIENT}@sbc`, `sip:${BOB}@sbc`],
        at: MONDAY_10H,
        hints: { recordedParty: CLIENT },
      });
      expect(stray.recordedNumber?.number).toBe(BOB);
    });

    it('refuses sessions without a recorded number with reason unknown-number', async () => {
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CLIENT}@sbc`, 'sip:Extension-12@pbx.example'],
        at: MONDAY_10H,
      });
      expect(r.recordedNumber).toBeUndefined();
      expect(r.direction).toBeUndefined();
      expect(r.decision).toEqual({
        record: false,
        reason: 'unknown-number',
        beep: false,
        message: `none of the participants (sip:${CLIENT}@sbc, sip:Extension-12@pbx.example) is a recorded number`,
      });
      expect(r.participants).toEqual([
        { aor: `sip:${CLIENT}@sbc`, number: CLIENT },
        { aor: 'sip:Extension-12@pbx.example' },
      ]);
      const empty = await ctx.policy.lookupAndDecide({
        participants: [],
        at: MONDAY_10H,
      });
      expect(empty.decision.reason).toBe('unknown-number');
    });

    it.each([['sip:112@sbc'], ['tel:112'], ['sip:+32112@sbc'], ['101']])(
      'refuses calls with the emergency number %s',
      async emergency => {
        const r = await ctx.policy.lookupAndDecide({
          participants: [`sip:${CAROL}@sbc`, emergency],
          at: MONDAY_10H,
        });
        expect(r.recordedNumber?.number).toBe(CAROL);
        expect(r.decision).toMatchObject({
          record: false,
          reason: 'emergency-number',
          beep: false,
        });
        expect(r.otherParty).toMatch(/^\+?(32)?1(12|01)$/);
      },
    );

    it('an emergency party in a conference decides', async () => {
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CAROL}@sbc`, `sip:${CLIENT}@sbc`, 'sip:112@sbc'],
        at: MONDAY_10H,
      });
      expect(r.decision.reason).toBe('emergency-number');
      expect(r.otherParty).toBe('112');
    });

    it('uses the configured emergency numbers', async () => {
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CAROL}@sbc`, 'sip:911@sbc'],
        at: MONDAY_10H,
      });
      expect(r.decision.record).toBe(true);
      expect(ctx.config).toEqual({
        defaultCountry: 'BE',
        emergencyNumbers: ['112', '100', '101'],
      });
    });

    it('refuses private and inactive numbers', async () => {
      const dave = await ctx.policy.lookupAndDecide({
        participants: [`tel:${DAVE}`, `tel:${CLIENT}`],
        at: MONDAY_10H,
      });
      expect(dave.recordedNumber?.number).toBe(DAVE);
      expect(dave.decision).toMatchObject({
        record: false,
        reason: 'manual-private',
      });
      const erin = await ctx.policy.lookupAndDecide({
        participants: [`tel:${ERIN}`, `tel:${CLIENT}`],
        at: MONDAY_10H,
      });
      expect(erin.decision).toMatchObject({
        record: false,
        reason: 'mvr-inactive',
      });
    });

    it('records a conversation from begin to finish, audited', async () => {
      const at = MONDAY_10H;
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CLIENT}@sbc`, `sip:${BOB}@sbc`],
        at,
      });
      expect(await ctx.conversations.activeCount(n[BOB].id)).toBe(0);
      const id = await ctx.conversations.begin({
        recordedNumber: r.recordedNumber!,
        direction: r.direction,
        otherParty: r.otherParty,
        startedAt: at,
        codec: 'PCMA/8000',
        sipCallId: 'call-bob-1',
        siprecSessionId: 'session-1',
        participants: r.participants,
        instanceId: 'rec-1',
      });
      expect(await ctx.conversations.activeCount(n[BOB].id)).toBe(1);
      // Bob does not record simultaneous calls: the recorder refuses a second one
      expect(r.recordedNumber!.settings.simultaneousCalls).toBe(false);

      await ctx.conversations.update(id, {
        participants: [`"Client" <sip:${CLIENT}@sbc>`, `sip:${BOB}@sbc`],
        dtmf: [{ at: '2025-06-02T08:00:09.000Z', digit: '5' }],
      });
      const inProgress = await ctx.conversations.listInProgress({
        instanceId: 'rec-1',
      });
      expect(inProgress.map(c => c.id)).toEqual([id]);
      expect(inProgress[0]).toMatchObject({
        captureSource: 'siprec',
        direction: 'incoming',
        otherParty: CLIENT,
        participants: [
          { aor: `"Client" <sip:${CLIENT}@sbc>`, number: CLIENT },
          { aor: `sip:${BOB}@sbc`, number: BOB },
        ],
        dtmf: [{ digit: '5' }],
      });

      const done = await ctx.conversations.finish(id, {
        endedAt: new Date(at.getTime() + 61_000),
        endedBy: 'bye',
        storageKey: `siprec/${id}.opus`,
        sha256: 'c'.repeat(64),
        bytes: 48_000,
        format: 'audio/ogg; codecs=opus',
      });
      expect(done).toMatchObject({ state: 'finished', durationMs: 61_000 });
      // a retried finish changes nothing and is not audited twice
      await ctx.conversations.finish(id, {
        endedAt: new Date(),
        endedBy: 'shutdown',
      });
      expect(await ctx.conversations.activeCount(n[BOB].id)).toBe(0);
      expect((await ctx.conversations.get(id))?.endedBy).toBe('bye');

      const audit = await auditLog.list({ target: `conversation:${id}` });
      expect(audit.items.map(a => a.action).sort()).toEqual([
        'conversation-finish',
        'conversation-start',
      ]);
      expect(audit.items.every(a => a.actorRef === 'capture:siprec')).toBe(
        true,
      );
      const finish = audit.items.find(a => a.action === 'conversation-finish');
      expect(finish?.details).toMatchObject({
        number: BOB,
        state: 'finished',
        endedBy: 'bye',
        sha256: 'c'.repeat(64),
        outcome: 'succeeded',
      });
    });

    it('withdraws a conversation begun after its 503 into the refused session, audited once (issue 20)', async () => {
      const at = MONDAY_10H;
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CLIENT}@sbc`, `sip:${CAROL}@sbc`],
        at,
      });
      const id = await ctx.conversations.begin({
        recordedNumber: r.recordedNumber!,
        direction: r.direction,
        otherParty: r.otherParty,
        startedAt: at,
        sipCallId: 'call-carol-late',
        participants: r.participants,
        instanceId: 'rec-1',
      });
      const refusal = {
        id: randomUUID(),
        at: new Date(at.getTime() + 1000),
        participants: [`sip:${CLIENT}@sbc`, `sip:${CAROL}@sbc`],
        recordedNumber: r.recordedNumber!,
        reason: 'storage-unavailable' as const,
        message:
          'conversations.begin: no answer from the database within the call set-up budget of 1000 ms',
        sipCallId: 'call-carol-late',
        responseCode: 503,
        instanceId: 'rec-1',
      };
      const result = await ctx.conversations.withdrawRefused!(id, refusal);
      expect(result.withdrawn).toBe(true);
      expect(result.refused).toMatchObject({
        id: refusal.id,
        number: CAROL,
        reason: 'storage-unavailable',
        responseCode: 503,
        captureSource: 'siprec',
        captureInstance: 'rec-1',
        participants: [
          { aor: `sip:${CLIENT}@sbc`, number: CLIENT },
          { aor: `sip:${CAROL}@sbc`, number: CAROL },
        ],
      });
      expect(await ctx.conversations.get(id)).toBeUndefined();
      // a retry (or the recorder's own record of the 503 under the same id) adds nothing
      expect(
        (await ctx.conversations.withdrawRefused!(id, refusal)).withdrawn,
      ).toBe(false);
      await ctx.conversations.recordRefused(refusal);

      const conversationAudit = await auditLog.list({
        target: `conversation:${id}`,
      });
      expect(conversationAudit.items.map(a => a.action).sort()).toEqual([
        'conversation-start',
        'conversation-withdrawn',
      ]);
      expect(
        conversationAudit.items.find(a => a.action === 'conversation-withdrawn')
          ?.details,
      ).toEqual({
        number: CAROL,
        userRef: 'user:default/carol',
        sipCallId: 'call-carol-late',
        startedAt: at.toISOString(),
        refusedSessionId: refusal.id,
        reason: 'storage-unavailable',
        responseCode: 503,
        message: refusal.message,
        outcome: 'succeeded',
      });
      const refusedAudit = await auditLog.list({
        target: `refused-session:${refusal.id}`,
      });
      expect(refusedAudit.items.map(a => a.action)).toEqual([
        'recording-refused',
      ]);
    });

    it('registers a recording with received audio missing as such: flagged audio-lost, and the audit says what was lost', async () => {
      const at = MONDAY_10H;
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CLIENT}@sbc`, `sip:${BOB}@sbc`],
        at,
      });
      const id = await ctx.conversations.begin({
        recordedNumber: r.recordedNumber!,
        direction: r.direction,
        otherParty: r.otherParty,
        startedAt: at,
        sipCallId: 'call-bob-lost',
        participants: r.participants,
        instanceId: 'rec-1',
      });
      const audioLost = [
        { channel: 0, fromMs: 12_300, toMs: 33_800, reason: 'memory-budget' },
        { channel: 1, fromMs: 12_300, toMs: 33_800, reason: 'memory-budget' },
      ];
      const done = await ctx.conversations.finish(id, {
        endedAt: new Date(at.getTime() + 61_000),
        endedBy: 'bye',
        storageKey: `siprec/${id}.wav`,
        sha256: 'd'.repeat(64),
        bytes: 976_000,
        format: 'audio/wav',
        quality: { packetsReceived: 6100, packetsLost: 0, audioLostMs: 21_500, audioLost },
        audioIssues: ['audio-lost'],
      });
      // the recorded part stays playable; the conversation says what is missing
      expect(done).toMatchObject({ state: 'finished', audioIssues: ['audio-lost'] });
      expect(done.quality).toMatchObject({ audioLostMs: 21_500, audioLost });
      const audit = await auditLog.list({ target: `conversation:${id}` });
      const finish = audit.items.find(a => a.action === 'conversation-finish');
      expect(
        auditorEvents.find(
          e => e.eventId === 'conversation-finish' && e.meta?.targetId === id,
        )?.severityLevel,
      ).toBe('high');
      expect(finish?.details).toMatchObject({
        state: 'finished',
        audioIssues: ['audio-lost'],
        audioLostMs: 21_500,
        audioLost,
      });
    });

    it('replaces an interim archive, audited with both hashes, and reports a stale replacement', async () => {
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${BOB}@sbc`, `sip:${CLIENT}@sbc`],
        at: MONDAY_10H,
      });
      const id = await ctx.conversations.begin({
        recordedNumber: r.recordedNumber!,
        startedAt: MONDAY_10H,
        sipCallId: 'call-bob-compress',
        participants: r.participants,
        instanceId: 'rec-compress',
      });
      const wavKey = `siprec/${id}.wav`;
      const opusKey = `siprec/${id}.opus`;
      const done = await ctx.conversations.finish(id, {
        endedAt: new Date(MONDAY_10H.getTime() + 61_000),
        endedBy: 'bye',
        storageKey: wavKey,
        sha256: 'D'.repeat(64),
        bytes: 976_044,
        format: 'audio/wav',
        compressTo: 'opus',
      });
      expect(done).toMatchObject({ state: 'finished', compressTo: 'opus' });
      // listed for this source and instance only
      const pending = await ctx.conversations.listArchivesToCompress({
        instanceId: 'rec-compress',
        limit: 10,
      });
      expect(pending).toEqual([
        {
          conversationId: id,
          startedAt: MONDAY_10H.toISOString(),
          storageKey: wavKey,
          sha256: 'd'.repeat(64),
          format: 'audio/wav',
          durationMs: 61_000,
          compressTo: 'opus',
          sipCallId: 'call-bob-compress',
          endedBy: 'bye',
        },
      ]);
      expect(
        await ctx.conversations.listArchivesToCompress({
          instanceId: 'rec-other',
          limit: 10,
        }),
      ).toEqual([]);
      const compressedAudits = async () =>
        (
          await auditLog.list({
            target: `conversation:${id}`,
            action: 'conversation-archive-compressed',
          })
        ).items;

      // stale: the expected hash is not the stored one; nothing is audited
      const input = {
        expected: { storageKey: wavKey, sha256: 'd'.repeat(64) },
        storageKey: opusKey,
        sha256: 'E'.repeat(64),
        bytes: 61_440,
        format: 'audio/ogg; codecs=opus',
      };
      expect(
        await ctx.conversations.replaceArchive(id, {
          ...input,
          expected: { storageKey: wavKey, sha256: 'f'.repeat(64) },
        }),
      ).toBe('stale');
      expect(await compressedAudits()).toEqual([]);
      // a replacement under the interim key is refused (that file gets deleted)
      const bad = await ctx.conversations
        .replaceArchive(id, { ...input, storageKey: wavKey })
        .catch((err: unknown) => err);
      expect(isCaptureStoreError(bad)).toBe(true);
      expect(bad).toMatchObject({
        code: 'invalid',
        operation: 'conversations.replaceArchive',
        message: expect.stringMatching(/must differ from the replaced archive/),
      });
      expect(await compressedAudits()).toEqual([]);

      expect(await ctx.conversations.replaceArchive(id, input)).toBe(
        'replaced',
      );
      expect(await ctx.conversations.get(id)).toMatchObject({
        storageKey: opusKey,
        sha256: 'e'.repeat(64),
        bytes: 61_440,
        format: 'audio/ogg; codecs=opus',
      });
      const audits = await compressedAudits();
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({
        actorRef: 'capture:siprec',
        action: 'conversation-archive-compressed',
        targetType: 'conversation',
        targetId: id,
      });
      expect(audits[0].details).toEqual({
        number: BOB,
        from: {
          storageKey: wavKey,
          sha256: 'd'.repeat(64),
          format: 'audio/wav',
          bytes: 976_044,
        },
        to: {
          storageKey: opusKey,
          sha256: 'e'.repeat(64),
          format: 'audio/ogg; codecs=opus',
          bytes: 61_440,
        },
        outcome: 'succeeded',
      });

      // the same replacement again is stale, and audited once only
      expect(await ctx.conversations.replaceArchive(id, input)).toBe('stale');
      expect(await compressedAudits()).toHaveLength(1);

      // the interim file is listed until it is forgotten
      expect(
        await ctx.conversations.listArchivesToCompress({
          instanceId: 'rec-compress',
          limit: 10,
        }),
      ).toEqual([
        expect.objectContaining({
          conversationId: id,
          storageKey: opusKey,
          supersededStorageKey: wavKey,
        }),
      ]);
      await ctx.conversations.forgetSupersededArchive(id, wavKey);
      expect(
        await ctx.conversations.listArchivesToCompress({ limit: 10 }),
      ).toEqual([]);
    });

    it('counts only the number own conversations in progress', async () => {
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${CAROL}@sbc`, `sip:${CLIENT}@sbc`],
        at: MONDAY_10H,
      });
      const ids = [];
      for (const call of ['carol-1', 'carol-2']) {
        ids.push(
          await ctx.conversations.begin({
            recordedNumber: r.recordedNumber!,
            startedAt: MONDAY_10H,
            sipCallId: call,
            participants: r.participants,
          }),
        );
      }
      expect(await ctx.conversations.activeCount(n[CAROL].id)).toBe(2);
      expect(await ctx.conversations.activeCount(n[DAVE].id)).toBe(0);
      await ctx.conversations.finish(ids[0], {
        endedAt: new Date(),
        endedBy: 'cancel',
      });
      expect(await ctx.conversations.activeCount(n[CAROL].id)).toBe(1);
      await ctx.conversations.finish(ids[1], {
        endedAt: new Date(),
        endedBy: 'shutdown',
      });
      expect(await ctx.conversations.activeCount(n[CAROL].id)).toBe(0);
    });

    it('keeps and audits refused sessions', async () => {
      const r = await ctx.policy.lookupAndDecide({
        participants: [`sip:${DAVE}@sbc`, `sip:${CLIENT}@sbc`],
        at: MONDAY_10H,
      });
      const refused = await ctx.conversations.recordRefused({
        at: MONDAY_10H,
        participants: [`sip:${DAVE}@sbc`, `sip:${CLIENT}@sbc`],
        recordedNumber: r.recordedNumber,
        reason: r.decision.reason as 'manual-private',
        message: r.decision.message,
        sipCallId: 'refused-dave',
        responseCode: 403,
      });
      expect(refused).toMatchObject({
        number: DAVE,
        recordedNumberId: n[DAVE].id,
        userRef: 'user:default/dave',
        reason: 'manual-private',
        responseCode: 403,
        captureSource: 'siprec',
        participants: [
          { aor: `sip:${DAVE}@sbc`, number: DAVE },
          { aor: `sip:${CLIENT}@sbc`, number: CLIENT },
        ],
      });
      const audit = await auditLog.list({ action: 'recording-refused' });
      expect(audit.items[0]).toMatchObject({
        actorRef: 'capture:siprec',
        targetType: 'refused-session',
        targetId: refused.id,
        details: {
          reason: 'manual-private',
          number: DAVE,
          sipCallId: 'refused-dave',
          responseCode: 403,
          participants: [DAVE, CLIENT],
        },
      });
    });

    it('store failures reach the recorder as CaptureStoreError', async () => {
      const e = await ctx.conversations
        .update('8a4f1c52-0b7e-4d7c-9a55-0d5b1a8f0000', { codec: 'PCMU' })
        .catch((err: unknown) => err);
      expect(isCaptureStoreError(e)).toBe(true);
      expect(e).toMatchObject({ code: 'not-found', retryable: false });
    });
  },
);
