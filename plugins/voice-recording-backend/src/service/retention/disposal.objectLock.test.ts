/*
 * Disposal of recordings under S3 Object Lock (docs/retention.md "Locked in object
 * storage"), on a real Ceph RGW bucket with Object Lock and real SQLite and PostgreSQL:
 * a locked archive is not disposed of, nothing of its conversation is deleted, the row
 * says "locked in object storage until <date>" and its retention end moves to the lock's
 * date; after that date the next run disposes of it. An S3 legal hold the portal does not
 * know of keeps the conversation until it is released. GOVERNANCE mode with retention of
 * seconds, so the shared RGW is left clean.
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  EncryptedBlobStore,
  S3BlobStore,
  StaticKeyEncryptionKeys,
} from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { randomBytes, randomUUID } from 'node:crypto';
import { openRecordingStores } from '../../database/__testUtils__/recordingStores';
import { RetentionStore } from '../../database/RetentionStore';
import { DisposalJob } from './DisposalJob';
import { RetentionService } from './RetentionService';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const BOB = 'user:default/bob';
const ENDED = '2020-03-10T10:00:00.250Z';
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describeWithS3('disposal of recordings under S3 Object Lock', server => {
  const admin = s3AdminClient(server);
  let bucket: string;
  let s3: S3BlobStore;
  let blobs: EncryptedBlobStore;

  beforeAll(async () => {
    bucket = await createTestBucket(admin, { objectLock: true });
    s3 = new S3BlobStore(
      s3StoreOptions(server, bucket, {
        objectLock: { mode: 'GOVERNANCE', retentionDays: 1 },
      }),
    );
    // encrypted at rest over S3, as a production portal may be: the lock is found through it
    blobs = new EncryptedBlobStore(
      s3,
      new StaticKeyEncryptionKeys([['k1', randomBytes(32)]], 'k1'),
    );
  });

  afterAll(async () => {
    s3.destroy();
    await removeTestBucket(admin, bucket);
    admin.destroy();
  });

  async function setup(databaseId: any) {
    const s = await openRecordingStores(databases, databaseId);
    const store = new RetentionStore(s.knex);
    const audit = { record: jest.fn(async (_r: any) => {}) };
    const number = await s.addNumber('+32470000001', BOB);
    const retention = new RetentionService({
      store,
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
    const job = new DisposalJob({
      store,
      retention,
      blobs,
      audit,
      logger: mockServices.logger.mock(),
      batchSize: 10,
      maxPerRun: 100,
    });
    /** a finished call of 2020 (due) with archive, peaks and a derived MP3 in the bucket */
    const call = async (lock: {
      archive?: Date;
      interim?: Date;
      legalHold?: boolean;
    }) => {
      const id = randomUUID();
      const key = `recordings/2020/03/${id}.ogg`;
      const put = await blobs.put(key, Buffer.from(`audio of ${id}`), {
        contentType: 'audio/ogg',
        retention: lock.archive
          ? { mode: 'GOVERNANCE', retainUntil: lock.archive }
          : null,
        legalHold: lock.legalHold,
      });
      await blobs.put(`${key}.peaks`, Buffer.from('peaks'), {
        contentType: 'application/octet-stream',
        retention: null,
      });
      const mp3 = `derived/${id}/${put.sha256.slice(0, 16)}/conversation.mp3`;
      await blobs.put(mp3, Buffer.from('mp3'), {
        contentType: 'audio/mpeg',
        retention: null,
      });
      const files = [key, `${key}.peaks`, mp3];
      const c: Conversation = {
        id,
        recordedNumberId: number.id,
        number: number.number,
        userRef: BOB,
        direction: 'outgoing',
        otherParty: '+3225550000',
        startedAt: new Date(new Date(ENDED).getTime() - 60_000).toISOString(),
        endedAt: ENDED,
        durationMs: 60_000,
        sipCallId: `t-${id}`,
        participants: [{ aor: `sip:${number.number}@x`, number: number.number }],
        metadata: {},
        dtmf: [],
        state: 'finished',
        storageKey: key,
        sha256: put.sha256,
        bytes: put.size,
        format: 'audio/ogg; codecs=opus',
        captureSource: 'test',
        createdAt: ENDED,
        updatedAt: ENDED,
      };
      await s.search.insertFinished([c]);
      if (lock.interim) {
        // the interim WAV compression replaced, still locked in the bucket
        const wav = `recordings/2020/03/${id}.wav`;
        await blobs.put(wav, Buffer.from('wav'), {
          contentType: 'audio/wav',
          retention: { mode: 'GOVERNANCE', retainUntil: lock.interim },
        });
        await s
          .knex('vr_conversations')
          .where({ id })
          .update({ superseded_storage_key: wav });
        files.push(wav);
      }
      await retention.assignMissing();
      return { id, files };
    };
    const row = async (id: string) => {
      const r = await s.knex('vr_conversations').where({ id }).first();
      if (!r) return undefined;
      const until = r.retention_until;
      return {
        state: r.disposal_state as string | null,
        error: r.disposal_error as string | null,
        retentionUntil: new Date(
          /^\d+$/.test(String(until)) ? Number(until) : until,
        ).toISOString(),
      };
    };
    const present = async (keys: string[]) =>
      Promise.all(keys.map(async k => (await s3.stat(k)) !== undefined));
    return { ...s, store, job, audit, call, row, present };
  }

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    it('keeps a locked recording whole until its lock date, says why, then disposes of it', async () => {
      const t = await setup(databaseId);
      const lockedUntil = new Date(Date.now() + 6_000);
      lockedUntil.setUTCMilliseconds(0);
      const locked = await t.call({ archive: lockedUntil });
      const interimLocked = await t.call({ interim: lockedUntil });
      const free = await t.call({});

      const first = await t.job.run('manual', { ref: 'user:default/alice' });
      expect(first).toMatchObject({ state: 'done', disposed: 1, locked: 2, failed: 0 });
      // the free one went, files and row; a disposal record was written
      expect(await t.row(free.id)).toBeUndefined();
      expect(await t.present(free.files)).toEqual([false, false, false]);
      expect(await t.store.getRecord(free.id)).toBeDefined();

      // the locked ones: nothing of them deleted (not even the unlocked archive beside a locked interim WAV)
      expect(await t.present(locked.files)).toEqual([true, true, true]);
      expect(await t.present(interimLocked.files)).toEqual([true, true, true, true]);
      const lockedRow = await t.row(locked.id);
      expect(lockedRow).toEqual({
        state: 'locked',
        error: `locked in object storage until ${lockedUntil.toISOString()} (S3 Object Lock GOVERNANCE retention of ${locked.files[0]}); disposal is tried again after that date (attempt 1)`,
        // the object store's date wins: kept until the lock ends
        retentionUntil: lockedUntil.toISOString(),
      });
      expect((await t.row(interimLocked.id))?.error).toContain(
        `retention of ${interimLocked.files[3]}`,
      );
      expect(await t.store.getRecord(locked.id)).toBeUndefined();
      const problems = await t.store.problems();
      expect(problems.map(p => [p.conversationId, p.state]).sort()).toEqual(
        [
          [locked.id, 'locked'],
          [interimLocked.id, 'locked'],
        ].sort(),
      );
      const batch = t.audit.record.mock.calls
        .map(c => c[0])
        .find(r => r.action === 'disposal-batch');
      expect(batch.severity).toBe('high');
      expect(batch.details.lockedIds.sort()).toEqual(
        [locked.id, interimLocked.id].sort(),
      );

      // before the lock's date a run does not even try (not due)
      const early = await t.job.run('manual', { ref: 'user:default/alice' });
      expect(early).toMatchObject({ disposed: 0, locked: 0 });

      // after it: disposed of, every version gone
      await sleep(Math.max(0, lockedUntil.getTime() - Date.now() + 1_500));
      const later = await t.job.run('manual', { ref: 'user:default/alice' });
      expect(later).toMatchObject({ state: 'done', disposed: 2, locked: 0, failed: 0 });
      expect(await t.row(locked.id)).toBeUndefined();
      expect(await t.present([...locked.files, ...interimLocked.files])).toEqual(
        Array(7).fill(false),
      );
      const record = await t.store.getRecord(locked.id);
      expect(record?.retentionUntil).toBe(lockedUntil.toISOString());
    });

    it('keeps a recording under an S3 legal hold the portal does not know of until it is released', async () => {
      const t = await setup(databaseId);
      const held = await t.call({ legalHold: true });
      const before = await t.row(held.id);
      const first = await t.job.run('manual', { ref: 'user:default/alice' });
      expect(first).toMatchObject({ disposed: 0, locked: 1 });
      const r = await t.row(held.id);
      expect(r?.state).toBe('locked');
      expect(r?.error).toBe(
        `locked in object storage by an S3 legal hold on ${held.files[0]} (no legal hold stands in the portal: the object lock sync releases it, then a later run disposes of the conversation) (attempt 1)`,
      );
      // no date to wait for: the retention end stays, the next run tries again
      expect(r?.retentionUntil).toBe(before?.retentionUntil);
      expect(await t.present(held.files)).toEqual([true, true, true]);

      await s3.setLegalHold(held.files[0], false);
      const second = await t.job.run('manual', { ref: 'user:default/alice' });
      expect(second).toMatchObject({ disposed: 1, locked: 0 });
      expect(await t.present(held.files)).toEqual([false, false, false]);
    });
  });
});
