import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  BlobStore,
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
  LocalFileBlobStore,
  OggOpusWriter,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { applyDatabaseMigrations, KnexAuditLogStore } from '../../database';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import { ExportJobsStore } from '../../database/ExportJobsStore';
import { AuditRecorder } from '../AuditRecorder';
import { finishedCall, tone } from '../__testUtils__/caseTestBackend';
import { ExportPackageBuilder } from './ExportPackageBuilder';
import { exportBlobKey, exportBlobPrefix, ExportWorker } from './ExportWorker';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const signer = createEd25519Signer(generateEd25519PrivateKeyPem());
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** `sha256sum -c` of a package, run by the real tool in the unpacked folder. */
function sha256sumCheck(zip: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vr-export-worker-'));
  try {
    writeFileSync(path.join(dir, 'p.zip'), zip);
    execFileSync('unzip', ['-q', 'p.zip', '-d', 'x'], { cwd: dir });
    return execFileSync('sha256sum', ['-c', 'SHA256SUMS'], {
      cwd: path.join(dir, 'x'),
      encoding: 'utf8',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A blob store whose reads of one recording wait until `release()`: an instance that
 * hangs (or dies) in the middle of a job.
 */
function stallingStore(inner: BlobStore, stallKey: string) {
  let release!: () => void;
  const released = new Promise<void>(r => {
    release = r;
  });
  let stalled!: () => void;
  const reached = new Promise<void>(r => {
    stalled = r;
  });
  const store: BlobStore = {
    put: (k, b, o) => inner.put(k, b, o),
    get: async (k, r) => {
      if (k === stallKey) {
        stalled();
        await released;
      }
      return inner.get(k, r);
    },
    stat: k => inner.stat(k),
    delete: k => inner.delete(k),
    list: p => inner.list(p),
    checkWritable: () => inner.checkWritable(),
  };
  return { store, release, reached };
}

describe.each(databases.eachSupportedId())(
  'export worker on %s',
  databaseId => {
    let knex: Knex;
    let dir: string;
    let blobs: LocalFileBlobStore;
    let jobs: ExportJobsStore;
    let audit: AuditRecorder;
    const calls: Conversation[] = [];
    const logger = mockServices.logger.mock();

    const builderWith = (store: BlobStore) =>
      new ExportPackageBuilder({
        knex,
        store: new ConversationSearchStore(knex),
        blobs: store,
        signer,
      });
    const worker = (id: string, store: BlobStore = blobs, leaseMs = 60_000) =>
      new ExportWorker({
        jobs,
        builder: builderWith(store),
        blobs: store,
        audit,
        logger,
        expiryDays: 7,
        leaseMs,
        heartbeatMs: 0,
        instanceId: id,
      });
    const newJob = () =>
      jobs.create({
        scope: { kind: 'search', filters: { number: '+32470999000' } },
        scopeTitle: 'Search: number=+32470999000',
        filters: { number: '+32470999000' },
        includeMp3: false,
        requestedBy: 'user:default/alice',
      });

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      dir = mkdtempSync(path.join(tmpdir(), 'vr-export-worker-store-'));
      blobs = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
      jobs = new ExportJobsStore(knex);
      audit = new AuditRecorder(
        mockServices.auditor.mock(),
        new KnexAuditLogStore(knex),
        logger,
      );
      // five calls, each with its own recording
      for (let i = 0; i < 5; i++) {
        const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2 });
        const ogg = Buffer.concat([
          ...writer.write(tone(1 + i)),
          ...writer.end(),
        ]);
        const stored = await blobs.put(`recordings/w/${i}.opus`, ogg, {
          contentType: 'audio/ogg; codecs=opus',
        });
        calls.push(
          finishedCall(`2026-05-0${i + 1}T08:00:00.000Z`, {
            storageKey: stored.key,
            sha256: stored.sha256,
            bytes: stored.size,
            format: 'audio/ogg; codecs=opus',
          }),
        );
      }
      await new ConversationSearchStore(knex).insertFinished(calls);
    });

    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('builds a queued job: progress to the end, the package in the store with its hash', async () => {
      const job = await newJob();
      const progress: number[] = [];
      const w = worker('instance-a');
      const heartbeat = jobs.heartbeat.bind(jobs);
      const spy = jest
        .spyOn(jobs, 'heartbeat')
        .mockImplementation(async (id, owner, p, lease, now) => {
          progress.push(p.done);
          return heartbeat(id, owner, p, lease, now);
        });
      try {
        await expect(w.runOnce()).resolves.toBe(true);
      } finally {
        spy.mockRestore();
      }
      expect(progress).toEqual([1, 2, 3, 4, 5]);
      const done = (await jobs.get(job.id))!;
      expect(done).toMatchObject({
        state: 'done',
        done: 5,
        total: 5,
        attempts: 1,
      });
      const zip = await readAll(await blobs.get(exportBlobKey(job.id)));
      expect(sha256(zip)).toBe(done.sha256);
      expect(zip.length).toBe(done.bytes);
      expect(sha256sumCheck(zip).trim().split('\n')).toHaveLength(5 + 5);
      // nothing left to do
      await expect(w.runOnce()).resolves.toBe(false);
    });

    it('keeps the job of a live builder stuck in a long step (its lease renewed), and hands it over once that instance stops; the stopped one cannot finish it', async () => {
      const job = await newJob();
      const stall = stallingStore(blobs, calls[2].storageKey!);
      const a = worker('instance-a', stall.store, 1000);
      const b = worker('instance-b', blobs, 1000);
      const aRun = a.runOnce();
      await stall.reached; // a has built two recordings and waits on the third
      const mid = (await jobs.get(job.id))!;
      expect(mid).toMatchObject({
        state: 'running',
        done: 2,
        leaseOwner: 'instance-a',
      });
      // a is alive (its lease is renewed while it waits): nobody takes the job
      await expect(b.runOnce()).resolves.toBe(false);
      await sleep(1500);
      await expect(b.runOnce()).resolves.toBe(false);
      expect((await jobs.get(job.id))!.leaseOwner).toBe('instance-a');
      // a's instance stops (shutdown, or its process is gone): its lease runs out
      const aStopped = a.stop();
      const deadline = Date.now() + 15_000;
      let taken = false;
      while (!taken && Date.now() < deadline) {
        await sleep(200);
        taken = await b.runOnce();
      }
      expect(taken).toBe(true);
      const done = (await jobs.get(job.id))!;
      expect(done).toMatchObject({
        state: 'done',
        done: 5,
        total: 5,
        attempts: 2,
      });
      const key = exportBlobKey(job.id, 2);
      const zip = await readAll(await blobs.get(key));
      expect(sha256(zip)).toBe(done.sha256);
      // a's read returns: its next progress update ends its build, which changes nothing
      stall.release();
      await aRun;
      await aStopped;
      expect(await jobs.get(job.id)).toMatchObject({
        state: 'done',
        sha256: done.sha256,
        attempts: 2,
      });
      expect(await blobs.list(exportBlobPrefix(job.id))).toEqual([key]);
      const completes = await knex('vr_audit_log').where({
        action: 'export-complete',
        target_id: job.id,
      });
      expect(completes).toHaveLength(1);
    });

    it('fails a job whose builders died three times, saying so', async () => {
      const job = await newJob();
      for (let i = 0; i < 3; i++) {
        const claimed = await jobs.claim(`dead-${i}`, 1, {
          now: new Date(Date.now() + i * 10),
        });
        expect(claimed?.id).toBe(job.id);
      }
      await expect(
        jobs.claim('instance-c', 1, { now: new Date(Date.now() + 1000) }),
      ).resolves.toBeUndefined();
      const failed = (await jobs.get(job.id))!;
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/stopped 3 times/);
    });

    it('gives a job to one claimer only, even when they claim at once', async () => {
      const job = await newJob();
      const claims = await Promise.all(
        ['x1', 'x2', 'x3', 'x4'].map(id => jobs.claim(id, 60_000)),
      );
      const winners = claims.filter(Boolean);
      expect(winners.map(w => w!.id)).toEqual([job.id]);
      expect((await jobs.get(job.id))!.leaseOwner).toBe(winners[0]!.leaseOwner);
      await jobs.delete(job.id);
    });

    it('stops a build whose job was deleted and leaves no package behind', async () => {
      const job = await newJob();
      const stall = stallingStore(blobs, calls[1].storageKey!);
      const a = worker('instance-a', stall.store);
      const run = a.runOnce();
      await stall.reached;
      await jobs.delete(job.id);
      stall.release();
      await run;
      expect(await blobs.list(exportBlobPrefix(job.id))).toEqual([]);
      expect(
        await knex('vr_audit_log').where({ target_id: job.id }),
      ).toHaveLength(0);
    });

    it('records a failure with its error (audited) when a recording is not the archived one', async () => {
      const job = await newJob();
      // the archive of the fourth call changed on disk after it was recorded
      const file = path.join(dir, calls[3].storageKey!);
      const original = readFileSync(file);
      const changed = Buffer.from(original);
      changed[100] ^= 0xff;
      writeFileSync(file, changed);
      try {
        await worker('instance-a').runOnce();
      } finally {
        writeFileSync(file, original);
      }
      const failed = (await jobs.get(job.id))!;
      expect(failed.state).toBe('failed');
      expect(failed.error).toContain(calls[3].id);
      expect(await blobs.list(exportBlobPrefix(job.id))).toEqual([]);
      const [entry] = await knex('vr_audit_log').where({
        action: 'export-fail',
        target_id: job.id,
      });
      expect(entry).toBeDefined();
    });

    it('deletes expired packages and marks their jobs expired (audited)', async () => {
      const job = await newJob();
      const w = worker('instance-a');
      await w.runOnce();
      expect((await jobs.get(job.id))!.state).toBe('done');
      const key = (await jobs.get(job.id))!.blobKey!;
      expect(await blobs.stat(key)).toBeDefined();
      await expect(
        w.expireDue(new Date(Date.now() + 6 * 86_400_000)),
      ).resolves.toBe(0);
      await expect(
        w.expireDue(new Date(Date.now() + 8 * 86_400_000)),
      ).resolves.toBeGreaterThanOrEqual(1);
      expect((await jobs.get(job.id))!.state).toBe('expired');
      expect(await blobs.stat(key)).toBeUndefined();
      const [entry] = await knex('vr_audit_log').where({
        action: 'export-expire',
        target_id: job.id,
      });
      expect(entry).toBeDefined();
    });
  },
);
