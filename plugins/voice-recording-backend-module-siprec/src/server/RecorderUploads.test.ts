/*
 * The recorder's upload job handler on a real staging directory and a real Ceph RGW:
 * a verified upload clears the conversation's location and only then deletes the local
 * file; an object store that keeps other bytes fails the attempt (retried) and keeps the
 * file and the location; a staged file that changed is given up at once (dead) and kept;
 * the recorder's conversations register as staged only while their file is staged. The
 * database side of the location (SQLite + PostgreSQL) is ConversationsStore.storageLocation.test.ts;
 * the queue and the worker are the real ones in SiprecServer.s3outage.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import {
  ArchiveJob,
  BlobBody,
  BlobPutOptions,
  BlobStore,
  CaptureContext,
  CaptureConversations,
  FinishConversationInput,
  LocalFileBlobStore,
  PermanentArchiveJobError,
  S3BlobStore,
  StagingBlobStore,
  UploadVerificationError,
} from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { RecorderUploads, readRecorderUploadConfig } from './RecorderUploads';

jest.setTimeout(60_000);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function job(key: string, payload: Record<string, unknown> = {}, attempts = 1): ArchiveJob {
  const now = new Date().toISOString();
  return {
    id: '1',
    kind: 'upload',
    subject: key,
    payload,
    affinity: 'rec-a',
    state: 'running',
    attempts,
    maxAttempts: 10,
    runAfter: now,
    createdAt: now,
    updatedAt: now,
  };
}

describe('readRecorderUploadConfig', () => {
  const read = (upload?: Record<string, unknown>) =>
    readRecorderUploadConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: upload ? { upload } : {} } } as any }));
  it('has defaults and reads every key', () => {
    expect(read()).toEqual({ concurrency: 2, retryMinMs: 5000, retryMaxMs: 300_000, maxAttempts: 10_000, warnAgeMs: 600_000 });
    expect(read({ concurrency: 4, retryMinSeconds: 0.5, retryMaxSeconds: 60, maxAttempts: 50, warnAfterSeconds: 30 })).toEqual({
      concurrency: 4,
      retryMinMs: 500,
      retryMaxMs: 60_000,
      maxAttempts: 50,
      warnAgeMs: 30_000,
    });
  });
  it('refuses bad values, naming the key', () => {
    expect(() => read({ concurrency: 0 })).toThrow('voiceRecording.recorder.upload.concurrency: must be a whole number from 1 to 64, not 0');
    expect(() => read({ concurrency: 1.5 })).toThrow('voiceRecording.recorder.upload.concurrency');
    expect(() => read({ retryMinSeconds: 10, retryMaxSeconds: 5 })).toThrow(
      'voiceRecording.recorder.upload.retryMaxSeconds (5) is less than retryMinSeconds (10)',
    );
    expect(() => read({ warnAfterSeconds: 0 })).toThrow('voiceRecording.recorder.upload.warnAfterSeconds');
  });
});

/** A store that stores what it is sent, after which the object is replaced by a cut copy (a faulty gateway). */
class OverwrittenAfterPut implements BlobStore {
  constructor(private readonly inner: S3BlobStore) {}
  async put(key: string, body: BlobBody, options: BlobPutOptions) {
    const result = await this.inner.put(key, body, options);
    await this.inner.put(key, Buffer.from('cut'), options);
    return result;
  }
  get(key: string, range?: { start: number; end?: number }) {
    return this.inner.get(key, range);
  }
  stat(key: string) {
    return this.inner.stat(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  checkWritable() {
    return this.inner.checkWritable();
  }
}

describeWithS3('RecorderUploads on Ceph RGW', server => {
  let admin: ReturnType<typeof s3AdminClient>;
  let bucket: string;
  let dir: string;
  let n = 0;
  const stores: S3BlobStore[] = [];

  beforeAll(async () => {
    admin = s3AdminClient(server);
    bucket = await createTestBucket(admin);
  });
  afterAll(async () => {
    for (const s of stores) s.destroy();
    await removeTestBucket(admin, bucket);
    admin.destroy();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-uploads-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** the location calls of the conversations store, with whether the local file existed at that moment */
  function setup(remote?: (s3: S3BlobStore) => BlobStore) {
    const s3 = new S3BlobStore(s3StoreOptions(server, bucket, { prefix: `u${++n}/` }));
    stores.push(s3);
    const local = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
    const staging = new StagingBlobStore({ local, remote: remote ? remote(s3) : s3 });
    const locations: Array<{ key: string; location: string | null; expected?: string; localExisted: boolean }> = [];
    const finished: Array<{ id: string; input: FinishConversationInput }> = [];
    const conversations = {
      async setArchiveLocation(key: string, location: string | null, o?: { expected?: string }) {
        locations.push({ key, location, expected: o?.expected, localExisted: fs.existsSync(local.resolveKey(key)) });
        return 1;
      },
      async finish(id: string, input: FinishConversationInput) {
        finished.push({ id, input });
        return {} as any;
      },
      async replaceArchive() {
        return 'replaced' as const;
      },
    } as unknown as CaptureConversations;
    const uploads = new RecorderUploads(staging, {
      instanceId: 'rec-a',
      config: { concurrency: 1, retryMinMs: 500, retryMaxMs: 2000, maxAttempts: 10, warnAgeMs: 60_000 },
      logger: mockServices.logger.mock(),
      where: s3.location(),
    });
    const ctx = { conversations, logger: mockServices.logger.mock() } as unknown as CaptureContext;
    // the handler's conversations (start() would also start a worker on ctx.archiveJobs)
    (uploads as any).conversations = conversations;
    return { s3, local, staging, uploads, ctx, locations, finished };
  }

  it('uploads verified, clears the location while the local file still exists, then deletes it', async () => {
    const { s3, local, staging, uploads, locations } = setup();
    const body = randomBytes(100_000);
    const put = await staging.put('r/a.opus', body, { contentType: 'audio/ogg' });
    await uploads.handle(job('r/a.opus', { size: put.size, sha256: put.sha256, contentType: 'audio/ogg' }), new AbortController().signal);
    expect(locations).toEqual([{ key: 'r/a.opus', location: null, expected: 'staged:rec-a', localExisted: true }]);
    expect(await local.stat('r/a.opus')).toBeUndefined();
    expect(sha(Buffer.concat(await (await s3.get('r/a.opus')).toArray()))).toBe(sha(body));
    expect(uploads.status()).toMatchObject({ staged: 0, oldestAgeSeconds: 0, unqueued: 0 });
  });

  it('fails the attempt (retried) and keeps the file and the location when the store keeps other bytes', async () => {
    const { staging, uploads, locations, local } = setup(s3 => new OverwrittenAfterPut(s3));
    const body = randomBytes(10_000);
    await staging.put('r/b.opus', body, { contentType: 'audio/ogg' });
    const attempt = uploads.handle(job('r/b.opus'), new AbortController().signal);
    await expect(attempt).rejects.toThrow(UploadVerificationError);
    await expect(attempt).rejects.not.toThrow(PermanentArchiveJobError);
    expect(locations).toEqual([]);
    expect(sha(fs.readFileSync(local.resolveKey('r/b.opus')))).toBe(sha(body));
    expect(uploads.status().staged).toBe(1);
  });

  it('gives up at once (dead) on a staged file that is not what was staged, and keeps it', async () => {
    const { s3, staging, uploads, locations, local } = setup();
    const put = await staging.put('r/c.opus', randomBytes(1000), { contentType: 'audio/ogg' });
    fs.writeFileSync(local.resolveKey('r/c.opus'), randomBytes(1000));
    const attempt = uploads.handle(job('r/c.opus', { size: put.size, sha256: put.sha256 }), new AbortController().signal);
    await expect(attempt).rejects.toThrow(PermanentArchiveJobError);
    await expect(attempt).rejects.toThrow(/is not what was staged/);
    expect(locations).toEqual([]);
    expect(fs.existsSync(local.resolveKey('r/c.opus'))).toBe(true);
    expect(await s3.stat('r/c.opus')).toBeUndefined();
  });

  it('registers a conversation as staged only while its file is staged', async () => {
    const { staging, uploads, ctx, finished } = setup();
    const recorderCtx = uploads.wrap(ctx);
    const base = { endedAt: new Date(), endedBy: 'bye' as const, sha256: 'ab'.repeat(32), bytes: 3, format: 'audio/ogg' };
    await staging.put('r/d.opus', Buffer.from('abc'), { contentType: 'audio/ogg' });
    await recorderCtx.conversations.finish('c1', { ...base, storageKey: 'r/d.opus' });
    await uploads.handle(job('r/d.opus'), new AbortController().signal);
    // registered after its upload (the database was slow): in the store, no location
    await recorderCtx.conversations.finish('c2', { ...base, storageKey: 'r/d.opus' });
    await recorderCtx.conversations.finish('c3', { endedAt: new Date(), endedBy: 'error', failureReason: 'no audio' });
    expect(finished.map(f => [f.id, f.input.storageLocation])).toEqual([
      ['c1', 'staged:rec-a'],
      ['c2', undefined],
      ['c3', undefined],
    ]);
  });

  it('backs off from retryMinSeconds, doubling, up to retryMaxSeconds', () => {
    const { uploads } = setup();
    expect([1, 2, 3, 4, 5, 50].map(a => uploads.backoff(a))).toEqual([500, 1000, 2000, 2000, 2000, 2000]);
  });
});
