/*
 * The S3 Object Lock of recordings kept in step with the portal (ObjectLockSync), on a
 * real Ceph RGW bucket with Object Lock and real SQLite and PostgreSQL: a legal hold
 * placed on a case puts its conversations' archives under S3 legal hold (and only
 * theirs), releasing it (two admins) releases them, a pass while S3 is down fails, is
 * audited and the next one catches up; a retention policy that lengthens retention
 * lengthens the archives' lock, one that shortens it leaves the lock. GOVERNANCE mode,
 * every legal hold released at the end: the shared RGW is left clean.
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  objectLockFor,
  S3BlobStore,
} from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { KnexAuditLogStore } from '../../database/AuditLogStore';
import { LegalHoldsStore } from '../../database/LegalHoldsStore';
import { openRecordingStores } from '../../database/__testUtils__/recordingStores';
import { RetentionStore } from '../../database/RetentionStore';
import { AuditRecorder } from '../AuditRecorder';
import { LegalHoldsService } from '../legalHolds/LegalHoldsService';
import { LEGAL_HOLD_SYNC_ACTION, ObjectLockSync } from './ObjectLockSync';
import { RetentionService } from './RetentionService';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const BOB = 'user:default/bob';
const alice = { ref: 'user:default/alice' } as any;
const fiona = { ref: 'user:default/fiona' } as any;
const YEAR = 365.2425 * 86_400_000;

/** a TCP proxy to the RGW that can be cut and restored (S3 down and back) */
async function proxyTo(endpoint: string) {
  const target = new URL(endpoint);
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async down() {
      await new Promise<void>(r => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    async up() {
      await new Promise<void>(r => server.listen(port, '127.0.0.1', r));
    },
    close: () =>
      new Promise<void>(r => {
        for (const s of sockets) s.destroy();
        if (server.listening) server.close(() => r());
        else r();
      }),
  };
}

describeWithS3('S3 Object Lock in step with legal holds and retention', server => {
  const admin = s3AdminClient(server);
  let bucket: string;

  beforeAll(async () => {
    bucket = await createTestBucket(admin, { objectLock: true });
  });
  afterAll(async () => {
    await removeTestBucket(admin, bucket);
    admin.destroy();
  });

  async function setup(databaseId: any, s3: S3BlobStore) {
    const s = await openRecordingStores(databases, databaseId);
    const auditLog = new KnexAuditLogStore(s.knex);
    const audit = new AuditRecorder(
      mockServices.auditor.mock(),
      auditLog,
      mockServices.logger.mock(),
    );
    const number = await s.addNumber('+32470000001', BOB);
    const retention = new RetentionService({
      store: new RetentionStore(s.knex),
      numbers: { get: async () => number as any },
      groups: { members: async () => ({ members: new Map(), missing: [] }) },
      audit,
      logger: mockServices.logger.mock(),
      config: {
        minimumPeriod: { years: 5, months: 0, days: 0 },
        minimumPeriodText: 'P5Y',
        policies: [],
      },
    });
    const sync = new ObjectLockSync({
      db: s.knex,
      s3,
      audit,
      logger: mockServices.logger.mock(),
      batchSize: 2,
    });
    const holds = new LegalHoldsService({
      store: new LegalHoldsStore(s.knex),
      audit,
      objectLock: sync,
    });
    /** a call that ended now, archived in the bucket with the lock objectLockFor gives it */
    const call = async (
      opts: { defaultLock?: boolean; compressTo?: 'opus' } = {},
    ) => {
      const id = randomUUID();
      const key = `recordings/${id}.ogg`;
      const ended = new Date().toISOString();
      const c: Conversation = {
        id,
        recordedNumberId: number.id,
        number: number.number,
        userRef: BOB,
        direction: 'outgoing',
        otherParty: '+3225550000',
        startedAt: ended,
        endedAt: ended,
        durationMs: 60_000,
        sipCallId: `t-${id}`,
        participants: [{ aor: `sip:${number.number}@x`, number: number.number }],
        metadata: {},
        dtmf: [],
        state: 'finished',
        storageKey: key,
        sha256: 'a'.repeat(64),
        bytes: 5,
        format: 'audio/ogg; codecs=opus',
        captureSource: 'test',
        createdAt: ended,
        updatedAt: ended,
      };
      await s.search.insertFinished([c]);
      if (opts.compressTo)
        await s
          .knex('vr_conversations')
          .where({ id })
          .update({ compress_to: opts.compressTo });
      await retention.assignMissing();
      const row = await s.knex('vr_conversations').where({ id }).first();
      const retentionUntil = new Date(
        /^\d+$/.test(String(row.retention_until))
          ? Number(row.retention_until)
          : row.retention_until,
      );
      await s3.put(key, Buffer.from('audio'), {
        contentType: 'audio/ogg',
        // the recorder's upload: the store's default (retentionDays from now)
        ...(opts.defaultLock
          ? {}
          : objectLockFor(
              s3,
              { retentionUntil },
              opts.compressTo ? 'interim' : 'archive',
            )),
      });
      return { id, key, retentionUntil };
    };
    const caseWithLabel = async (ids: string[]) => {
      const labelId = randomUUID();
      const caseId = randomUUID();
      await s.knex('vr_labels').insert({
        id: labelId,
        title: `Matter ${labelId.slice(0, 6)}`,
        colour: '#aa0000',
        created_by: alice.ref,
      });
      await s.knex('vr_cases').insert({
        id: caseId,
        title: 'Matter',
        owner_ref: alice.ref,
        label_id: labelId,
      });
      for (const id of ids)
        await s.knex('vr_conversation_labels').insert({
          conversation_id: id,
          label_id: labelId,
          added_by: alice.ref,
        });
      return caseId;
    };
    const auditOf = async (action: string) =>
      (await auditLog.list({ action, limit: 100 })).items;
    return { ...s, retention, sync, holds, call, caseWithLabel, auditOf };
  }

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    it('lengthens a new archive uploaded with the default lock to its retention end, never an interim WAV', async () => {
      const s3 = new S3BlobStore(
        s3StoreOptions(server, bucket, {
          objectLock: { mode: 'GOVERNANCE', retentionDays: 1 },
        }),
      );
      const t = await setup(databaseId, s3);
      try {
        const fresh = await t.call({ defaultLock: true });
        const interim = await t.call({ compressTo: 'opus' });
        const before = (await s3.protection(fresh.key)).retention!.retainUntil;
        expect(before.getTime()).toBeLessThan(Date.now() + 2 * 86_400_000);
        const first = await t.sync.run();
        expect(first).toMatchObject({ newExtended: 1, failed: 0 });
        expect((await s3.protection(fresh.key)).retention?.retainUntil).toEqual(
          fresh.retentionUntil,
        );
        expect(await s3.protection(interim.key)).toEqual({
          legalHold: false,
          retention: undefined,
        });
        // a held interim WAV gets no S3 legal hold either (the compressor replaces it)
        const caseId = await t.caseWithLabel([interim.id]);
        await t.holds.place(alice, { caseId, reason: 'r', reference: 'LIT-2' });
        expect(await t.sync.run()).toMatchObject({ newExtended: 0, holdsOn: 0 });
        expect((await s3.protection(interim.key)).legalHold).toBe(false);
      } finally {
        s3.destroy();
      }
    });

    it('mirrors legal holds to S3 legal holds, catching up after S3 was down', async () => {
      const proxy = await proxyTo(server.endpoint);
      const s3 = new S3BlobStore(
        s3StoreOptions(server, bucket, {
          endpoint: proxy.endpoint,
          objectLock: { mode: 'GOVERNANCE', retentionDays: 1 },
          maxAttempts: 1,
          connectTimeoutMs: 500,
        }),
      );
      const t = await setup(databaseId, s3);
      try {
        const [a, b, c, other] = [
          await t.call(),
          await t.call(),
          await t.call(),
          await t.call(),
        ];
        const caseId = await t.caseWithLabel([a.id, b.id, c.id]);
        const hold = await t.holds.place(alice, {
          caseId,
          reason: 'litigation',
          reference: 'LIT-1',
        });
        await t.sync.run({ retention: false }); // the nudge's pass, or the next one
        const legalHold = async () =>
          Promise.all(
            [a, b, c, other].map(
              async x => (await s3.protection(x.key)).legalHold,
            ),
          );
        expect(await legalHold()).toEqual([true, true, true, false]);
        const [entry] = await t.auditOf(LEGAL_HOLD_SYNC_ACTION);
        expect(entry.details).toMatchObject({
          holdsOn: 3,
          holdsOff: 0,
          failed: 0,
          outcome: 'succeeded',
        });
        expect((entry.details as any).conversationsHeld.sort()).toEqual(
          [a.id, b.id, c.id].sort(),
        );
        // nothing to do: no request that changes anything, no audit entry
        expect(await t.sync.run({ retention: false })).toMatchObject({
          holdsOn: 0,
          holdsOff: 0,
          failed: 0,
        });
        expect(await t.auditOf(LEGAL_HOLD_SYNC_ACTION)).toHaveLength(1);

        // release approved by a second admin while S3 is down: the pass fails, audited
        await t.holds.requestRelease(alice, hold.id, 'settled');
        await proxy.down();
        await t.holds.approveRelease(fiona, hold.id);
        const failed = await t.sync.run({ retention: false });
        expect(failed.failed).toBe(3);
        expect(failed.errors[0]).toMatch(
          /^legal hold release of conversation .*: .*s3:\/\//,
        );
        const [failedEntry] = await t.auditOf(LEGAL_HOLD_SYNC_ACTION);
        expect(failedEntry.details).toMatchObject({ failed: 3, holdsOff: 0 });
        // back: the next pass releases them
        await proxy.up();
        expect(await t.sync.run({ retention: false })).toMatchObject({
          holdsOff: 3,
          failed: 0,
        });
        expect(await legalHold()).toEqual([false, false, false, false]);
      } finally {
        await proxy.close();
        s3.destroy();
      }
    });

    it('lengthens the archives lock when a policy lengthens retention, never shortens it', async () => {
      const s3 = new S3BlobStore(
        s3StoreOptions(server, bucket, {
          objectLock: { mode: 'GOVERNANCE', retentionDays: 1 },
        }),
      );
      const t = await setup(databaseId, s3);
      try {
        const a = await t.call();
        // archived two days ago: not a new archive any more
        await t
          .knex('vr_conversations')
          .where({ id: a.id })
          .update({ updated_at: new Date(Date.now() - 2 * 86_400_000) });
        const lockOf = async () =>
          (await s3.protection(a.key)).retention?.retainUntil.getTime() ?? 0;
        const five = await lockOf();
        expect(Math.abs(five - (Date.now() + 5 * YEAR))).toBeLessThan(3 * 86_400_000);
        // no policy change yet: no sweep
        expect((await t.sync.run()).swept).toBeUndefined();

        const policy = await t.retention.create(alice, {
          name: 'Seven years',
          period: 'P7Y',
          scope: { kind: 'default' },
        });
        const swept = await t.sync.run();
        expect(swept).toMatchObject({ extended: 1, failed: 0 });
        const seven = await lockOf();
        const row = await t.knex('vr_conversations').where({ id: a.id }).first();
        expect(seven).toBe(
          new Date(
            /^\d+$/.test(String(row.retention_until))
              ? Number(row.retention_until)
              : row.retention_until,
          ).getTime(),
        );
        expect(seven - five).toBeGreaterThan(1.9 * YEAR);
        // done: the next pass does not sweep again
        expect((await t.sync.run()).swept).toBeUndefined();

        // the policy goes: retention back to 5 years in the portal, the lock stays at 7
        await t.retention.delete(alice, policy.id);
        expect(await t.sync.run()).toMatchObject({ extended: 0, failed: 0 });
        expect(await lockOf()).toBe(seven);
      } finally {
        s3.destroy();
      }
    });
  });
});
