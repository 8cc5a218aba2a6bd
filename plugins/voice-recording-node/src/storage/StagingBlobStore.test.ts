/*
 * The recorder's staging store on a real local directory in front of a real Ceph RGW:
 * staged puts, reads from whichever copy exists, the verified upload (the local copy goes
 * only after the object read back matches), a store that keeps the wrong bytes, an
 * unreachable store, the start-up scan, and encryption at rest copied as ciphertext.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { BlobBody, BlobPutOptions, BlobStore, LocalFileBlobStore, StorageUnavailableError } from './BlobStore';
import { S3BlobStore } from './S3BlobStore';
import { StagedBlob, StagingBlobStore, UploadVerificationError } from './StagingBlobStore';
import { EncryptedBlobStore } from './EncryptedBlobStore';
import { StaticKeyEncryptionKeys } from './KeyEncryptionKeys';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '../testing/s3TestServer';

jest.setTimeout(60_000);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/**
 * A faulty object store: it stores what it is sent (the real S3 put, verified by its
 * Content-MD5 and ETag), then something else replaces the object (a truncated copy), as a
 * broken gateway, a replication fault or another writer would. Every other call is the
 * real store's.
 */
class OverwrittenAfterPut implements BlobStore {
  constructor(private readonly inner: S3BlobStore) {}
  async put(key: string, body: BlobBody, options: BlobPutOptions) {
    const result = await this.inner.put(key, body, options);
    const stored = await readAll(await this.inner.get(key));
    await this.inner.put(key, stored.subarray(0, stored.length - 1), options);
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

describeWithS3('StagingBlobStore over Ceph RGW', server => {
  let admin: S3Client;
  let bucket: string;
  let n = 0;
  let dir: string;
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
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-staging-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function s3(extra: Record<string, unknown> = {}): S3BlobStore {
    const store = new S3BlobStore(s3StoreOptions(server, bucket, { prefix: `staging${++n}/`, ...extra }));
    stores.push(store);
    return store;
  }

  function staging(remote: BlobStore, onStaged?: (b: StagedBlob) => Promise<void>) {
    const local = new LocalFileBlobStore(path.join(dir, 'archive'), { minFreeBytes: 0 });
    return { local, store: new StagingBlobStore({ local, remote, onStaged }) };
  }

  it('stages a put on the local disk, reads it there, uploads it verified, then reads the object', async () => {
    const remote = s3();
    const staged: StagedBlob[] = [];
    const { local, store } = staging(remote, async b => {
      staged.push(b);
    });
    const body = randomBytes(300_000);
    const put = await store.put('recordings/2026/a.opus', body, { contentType: 'audio/ogg' });
    expect(put).toEqual({ key: 'recordings/2026/a.opus', size: body.length, sha256: sha(body) });
    expect(staged).toEqual([{ key: 'recordings/2026/a.opus', size: body.length, sha256: sha(body), contentType: 'audio/ogg' }]);
    expect(await remote.stat('recordings/2026/a.opus')).toBeUndefined();
    expect((await readAll(await store.get('recordings/2026/a.opus', { start: 10, end: 19 }))).equals(body.subarray(10, 20))).toBe(true);
    expect(await store.isStaged('recordings/2026/a.opus')).toBe(true);
    expect(store.stagedStats()).toMatchObject({ staged: 1, unqueued: 0 });

    let localAtVerified: boolean | undefined;
    const outcome = await store.upload('recordings/2026/a.opus', {
      expected: { size: body.length, sha256: sha(body) },
      onVerified: async () => {
        localAtVerified = (await local.stat('recordings/2026/a.opus')) !== undefined;
      },
    });
    expect(outcome).toMatchObject({ outcome: 'uploaded', size: body.length, sha256: sha(body) });
    // the location is recorded while the local copy still exists, then it goes
    expect(localAtVerified).toBe(true);
    expect(await local.stat('recordings/2026/a.opus')).toBeUndefined();
    expect(fs.existsSync(path.join(dir, 'archive', 'recordings', '2026', 'a.opus.meta.json'))).toBe(false);
    expect(store.stagedStats()).toMatchObject({ staged: 0, oldestAgeSeconds: 0 });
    expect(sha(await readAll(await remote.get('recordings/2026/a.opus')))).toBe(sha(body));
    expect((await remote.stat('recordings/2026/a.opus'))?.contentType).toBe('audio/ogg');
    // reads now come from the object store
    expect((await readAll(await store.get('recordings/2026/a.opus', { start: 299_990 }))).equals(body.subarray(299_990))).toBe(true);
    expect((await store.stat('recordings/2026/a.opus'))?.size).toBe(body.length);
    // a second attempt (a job run twice) finds nothing staged
    expect(await store.upload('recordings/2026/a.opus')).toEqual({ outcome: 'not-staged' });
  });

  it('keeps the local copy when the object store holds other bytes than were sent', async () => {
    const remote = s3();
    const { local, store } = staging(new OverwrittenAfterPut(remote));
    const body = randomBytes(50_000);
    await store.put('k/short.wav', body, { contentType: 'audio/wav' });
    let verified = false;
    const attempt = store.upload('k/short.wav', {
      onVerified: async () => {
        verified = true;
      },
    });
    await expect(attempt).rejects.toThrow(UploadVerificationError);
    await expect(attempt).rejects.toThrow(/holds 49999 bytes with SHA-256 [0-9a-f]{64}, expected 50000 bytes.*the local copy is kept/);
    expect(verified).toBe(false);
    expect(sha(await readAll(await local.get('k/short.wav')))).toBe(sha(body));
    expect((await remote.stat('k/short.wav'))?.size).toBe(49_999);
    expect(store.stagedStats().staged).toBe(1);
  });

  it('refuses to upload a staged file that is no longer what was staged, and uploads nothing', async () => {
    const remote = s3();
    const { local, store } = staging(remote);
    const body = randomBytes(10_000);
    const put = await store.put('k/changed.wav', body, { contentType: 'audio/wav' });
    const file = local.resolveKey('k/changed.wav');
    const changed = Buffer.from(body);
    changed[5000] ^= 0xff;
    fs.writeFileSync(file, changed);
    const attempt = store.upload('k/changed.wav', { expected: { size: put.size, sha256: put.sha256 } });
    await expect(attempt).rejects.toThrow(/is not what was staged/);
    const error = await attempt.catch(e => e);
    expect(error).toBeInstanceOf(UploadVerificationError);
    expect(error.stagedFileCorrupt).toBe(true);
    expect(await remote.stat('k/changed.wav')).toBeUndefined();
    expect(fs.existsSync(file)).toBe(true);
  });

  it('records while the object store is unreachable: puts stage, the probe is the local disk, uploads fail and keep the file', async () => {
    const port = await closedPort();
    const down = new S3BlobStore({
      bucket,
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: server.credentials,
      maxAttempts: 1,
    });
    stores.push(down);
    const { local, store } = staging(down);
    const body = randomBytes(2000);
    await store.put('k/outage.opus', body, { contentType: 'audio/ogg' });
    expect(await store.checkWritable()).toEqual({ ok: true });
    expect((await down.checkWritable()).ok).toBe(false);
    const attempt = store.upload('k/outage.opus');
    await expect(attempt).rejects.toThrow(StorageUnavailableError);
    await expect(attempt).rejects.toThrow(/ECONNREFUSED/);
    expect(sha(await readAll(await local.get('k/outage.opus')))).toBe(sha(body));
    // still readable (from the local copy) during the outage
    expect(sha(await readAll(await store.get('k/outage.opus')))).toBe(sha(body));
  });

  it('keeps a put whose enqueue fails, retries the enqueue later, and finds staged files at start-up', async () => {
    const remote = s3();
    let failing = true;
    const enqueued: string[] = [];
    const onStaged = async (b: StagedBlob) => {
      if (failing) throw new Error('database down');
      enqueued.push(`${b.key}:${b.size}:${b.sha256}`);
    };
    const first = staging(remote, onStaged);
    const a = randomBytes(100);
    const b = randomBytes(200);
    await first.store.put('x/a.opus', a, { contentType: 'audio/ogg' });
    await first.store.put('x/b.opus', b, { contentType: 'audio/ogg' });
    expect(first.store.unqueued).toBe(2);
    expect(await first.store.retryUnqueued()).toBe(2);
    failing = false;
    expect(await first.store.retryUnqueued()).toBe(0);
    expect(enqueued.sort()).toEqual([`x/a.opus:100:${sha(a)}`, `x/b.opus:200:${sha(b)}`].sort());

    // a restart (crash between put and enqueue): a new store on the same directory
    enqueued.length = 0;
    const restarted = new StagingBlobStore({ local: first.local, remote, onStaged });
    expect(restarted.stagedStats().staged).toBe(0);
    expect(await restarted.scan()).toEqual(['x/a.opus', 'x/b.opus']);
    // found on the disk: no size and hash (the upload compares the object with the file as it is)
    expect(enqueued.sort()).toEqual(['x/a.opus:undefined:undefined', 'x/b.opus:undefined:undefined']);
    expect(restarted.stagedStats().staged).toBe(2);
  });

  it('removes the object of an upload whose staged blob was deleted meanwhile (a replaced interim WAV)', async () => {
    const remote = s3();
    let release!: () => void;
    const gate = new Promise<void>(r => (release = r));
    let putStarted!: () => void;
    const started = new Promise<void>(r => (putStarted = r));
    // a slow store: the put is held until the delete has happened
    const slow: BlobStore = {
      put: async (key, body, options) => {
        putStarted();
        await gate;
        return remote.put(key, body, options);
      },
      get: (key, range) => remote.get(key, range),
      stat: key => remote.stat(key),
      delete: key => remote.delete(key),
      list: prefix => remote.list(prefix),
      checkWritable: () => remote.checkWritable(),
    };
    const { store } = staging(slow);
    await store.put('w/interim.wav', randomBytes(5000), { contentType: 'audio/wav' });
    let verified = false;
    const upload = store.upload('w/interim.wav', {
      onVerified: async () => {
        verified = true;
      },
    });
    await started;
    expect(await store.delete('w/interim.wav')).toBe(true);
    release();
    expect(await upload).toEqual({ outcome: 'not-staged' });
    expect(verified).toBe(false);
    expect(await remote.stat('w/interim.wav')).toBeUndefined();
  });

  it('uploads with the Object Lock options of the staged put (none for an interim file, the default, or a given date)', async () => {
    const lockBucket = await createTestBucket(admin, { objectLock: true });
    const remote = new S3BlobStore(
      s3StoreOptions(server, lockBucket, { objectLock: { mode: 'GOVERNANCE', retentionDays: 1 } }),
    );
    stores.push(remote);
    try {
      const staged = new Map<string, StagedBlob>();
      const { store } = staging(remote, async b => {
        staged.set(b.key, b);
      });
      const until = new Date(Date.now() + 3 * 86_400_000);
      await store.put('o/interim.wav', Buffer.from('wav'), { contentType: 'audio/wav', retention: null });
      await store.put('o/default.opus', Buffer.from('opus'), { contentType: 'audio/ogg' });
      await store.put('o/dated.opus', Buffer.from('opus2'), {
        contentType: 'audio/ogg',
        retention: { mode: 'GOVERNANCE', retainUntil: until },
      });
      // what the job payload carries (JSON)
      const payloads = [...staged.values()].map(b => JSON.parse(JSON.stringify(b)) as StagedBlob);
      for (const b of payloads) await store.upload(b.key, { putOptions: b });
      expect((await remote.protection('o/interim.wav')).retention).toBeUndefined();
      const byDefault = (await remote.protection('o/default.opus')).retention;
      expect(byDefault?.mode).toBe('GOVERNANCE');
      expect(Math.abs(byDefault!.retainUntil.getTime() - (Date.now() + 86_400_000))).toBeLessThan(120_000);
      const dated = (await remote.protection('o/dated.opus')).retention;
      expect(Math.abs(dated!.retainUntil.getTime() - until.getTime())).toBeLessThan(1000);
    } finally {
      await removeTestBucket(admin, lockBucket);
    }
  });

  it('deletes both copies and lists both', async () => {
    const remote = s3();
    const { local, store } = staging(remote);
    await store.put('l/a', Buffer.from('a'), { contentType: 'text/plain' });
    await store.put('l/b', Buffer.from('b'), { contentType: 'text/plain' });
    await store.upload('l/a');
    expect(await store.list('l/')).toEqual(['l/a', 'l/b']);
    expect(await store.delete('l/a')).toBe(true);
    expect(await store.delete('l/b')).toBe(true);
    expect(await store.delete('l/b')).toBe(false);
    expect(await remote.list('l/')).toEqual([]);
    expect(await local.list('l/')).toEqual([]);
  });

  it('copies an archive encrypted at rest as ciphertext: the portal over the object store decrypts it', async () => {
    const keys = new StaticKeyEncryptionKeys([['k1', randomBytes(32)]], 'k1');
    const remote = s3();
    const { local, store } = staging(remote);
    const recorder = new EncryptedBlobStore(store, keys, { segmentSize: 4096 });
    const body = randomBytes(20_000);
    const put = await recorder.put('e/call.opus', body, { contentType: 'audio/ogg' });
    expect(put.sha256).toBe(sha(body));
    const staged = fs.readFileSync(local.resolveKey('e/call.opus'));
    expect(staged.subarray(0, 6).toString('ascii')).toBe('MVRENC');
    await store.upload('e/call.opus');
    // the object is the staged file byte for byte
    expect((await readAll(await remote.get('e/call.opus'))).equals(staged)).toBe(true);
    const portal = new EncryptedBlobStore(remote, keys);
    expect(sha(await readAll(await portal.get('e/call.opus')))).toBe(sha(body));
    expect((await readAll(await portal.get('e/call.opus', { start: 5000, end: 9000 }))).equals(body.subarray(5000, 9001))).toBe(true);
  });
});
