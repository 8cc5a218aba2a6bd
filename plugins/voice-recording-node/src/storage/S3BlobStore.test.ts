/*
 * What only the S3 store does, on a real Ceph RADOS Gateway: Object Lock (retention and
 * legal hold refuse deletes; a store-wide default; a bucket's default retention), every
 * version removed by delete, Content-MD5 enforced by the store, aborted multipart uploads,
 * key prefixes, and a store that is down or hangs. The contract shared with the local store
 * is in BlobStoreContract.test.ts.
 */
import * as net from 'node:net';
import {
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { BlobNotFoundError, InvalidBlobKeyError, StorageUnavailableError } from './BlobStore';
import { BlobLockedError, S3BlobStore } from './S3BlobStore';
import { pattern, readAll, sha256 } from '../__testUtils__/blobStoreContract';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '../testing/s3TestServer';

jest.setTimeout(60_000);

const HOUR = 3_600_000;

/** a TCP port with nothing listening on it */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

describe('S3BlobStore options', () => {
  it('refuses a bad prefix, part size and lock settings', () => {
    const base = { bucket: 'b', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
    expect(() => new S3BlobStore({ ...base, prefix: 'no-slash' })).toThrow(InvalidBlobKeyError);
    expect(() => new S3BlobStore({ ...base, prefix: '../x/' })).toThrow(InvalidBlobKeyError);
    expect(() => new S3BlobStore({ ...base, partSizeBytes: 1024 })).toThrow(/at least 5242880/);
    expect(() => new S3BlobStore({ ...base, objectLock: { mode: 'LEGAL' as any, retentionDays: 1 } })).toThrow(/GOVERNANCE or COMPLIANCE/);
    expect(() => new S3BlobStore({ ...base, objectLock: { mode: 'COMPLIANCE', retentionDays: 0 } })).toThrow(/positive/);
    expect(() => new S3BlobStore({ bucket: '' })).toThrow(/bucket is required/);
    const ok = new S3BlobStore({ ...base, prefix: 'site-a/recordings/' });
    expect(ok.objectKey('2025/a.opus')).toBe('site-a/recordings/2025/a.opus');
    expect(ok.location('x')).toBe('s3://b/site-a/recordings/x');
    ok.destroy();
  });

  it('reports a store nobody answers on as unavailable: probe, put, get, stat, list', async () => {
    const port = await closedPort();
    const store = new S3BlobStore({
      bucket: 'b',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    try {
      const health = await store.checkWritable();
      expect(health.ok).toBe(false);
      const error = (health as { ok: false; error: StorageUnavailableError }).error;
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(error.message).toContain('s3://b/');
      expect(error.message).toMatch(/ECONNREFUSED/);
      for (const op of [
        () => store.put('a/b', Buffer.from('x'), { contentType: 'text/plain' }),
        () => store.get('a/b'),
        () => store.stat('a/b'),
        () => store.list('a/'),
        () => store.delete('a/b'),
      ]) {
        await expect(op()).rejects.toBeInstanceOf(StorageUnavailableError);
      }
    } finally {
      store.destroy();
    }
  });

  it('gives up the probe and a put on a store that accepts connections and never answers', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer(s => sockets.add(s));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const store = new S3BlobStore({
      bucket: 'b',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      probeTimeoutMs: 400,
    });
    const slow = new S3BlobStore({
      bucket: 'b',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestTimeoutMs: 300,
      maxAttempts: 1,
    });
    try {
      // the configured request timeout reaches the HTTP handler: a put does not hang either
      const p0 = Date.now();
      const putError = await slow.put('a/b', Buffer.from('x'), { contentType: 'text/plain' }).catch(e => e);
      expect(putError).toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - p0).toBeLessThan(5000);
      const t0 = Date.now();
      const health = await store.checkWritable();
      const took = Date.now() - t0;
      expect(health).toMatchObject({ ok: false, error: { message: expect.stringMatching(/no answer within 400 ms/) } });
      expect(took).toBeGreaterThanOrEqual(390);
      expect(took).toBeLessThan(10_000);
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      store.destroy();
      slow.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  });
});

describeWithS3('S3BlobStore on Ceph RGW', server => {
  let admin: S3Client;
  let lockBucket: string;
  let plainBucket: string;
  const stores: S3BlobStore[] = [];
  let n = 0;
  const lockStore = (extra: Parameters<typeof s3StoreOptions>[2] = {}) => {
    const s = new S3BlobStore(s3StoreOptions(server, lockBucket, { prefix: `s${++n}/`, ...extra }));
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    admin = s3AdminClient(server);
    lockBucket = await createTestBucket(admin, { objectLock: true });
    plainBucket = await createTestBucket(admin);
  });
  afterAll(async () => {
    for (const s of stores) s.destroy();
    await removeTestBucket(admin, lockBucket);
    await removeTestBucket(admin, plainBucket);
    admin.destroy();
  });

  const versionsOf = async (bucket: string, key: string) => {
    const res = await admin.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])].filter(v => v.Key === key);
  };

  describe('Object Lock', () => {
    it('refuses to delete a recording under COMPLIANCE retention, with the date in the message', async () => {
      const store = lockStore();
      const retainUntil = new Date(Date.now() + 2 * HOUR);
      const data = pattern(10_000, 21);
      const put = await store.put('c/locked.opus', data, { contentType: 'audio/ogg', retention: { mode: 'COMPLIANCE', retainUntil } });
      expect(put.versionId).toBeTruthy();
      expect(put.retention).toEqual({ mode: 'COMPLIANCE', retainUntil });
      const protection = await store.protection('c/locked.opus');
      expect(protection.legalHold).toBe(false);
      expect(protection.retention?.mode).toBe('COMPLIANCE');
      // S3 keeps the retention date to the second
      expect(Math.abs(protection.retention!.retainUntil.getTime() - retainUntil.getTime())).toBeLessThan(1000);
      const err = await store.delete('c/locked.opus').catch(e => e);
      expect(err).toBeInstanceOf(BlobLockedError);
      expect(err.message).toMatch(/COMPLIANCE retention until \d{4}-\d\d-\d\dT/);
      expect(err.message).toMatch(/cannot be deleted before/);
      expect(sha256(await readAll(await store.get('c/locked.opus')))).toBe(sha256(data));
      // nothing was removed or hidden behind a delete marker
      expect((await versionsOf(lockBucket, store.objectKey('c/locked.opus'))).map(v => v.VersionId)).toEqual([put.versionId]);
    });

    it('refuses to delete while a legal hold is on, and deletes every version once it is released', async () => {
      const store = lockStore();
      await store.put('h/held.opus', Buffer.from('v1'), { contentType: 'audio/ogg' });
      await store.put('h/held.opus', Buffer.from('v2'), { contentType: 'audio/ogg', legalHold: true });
      expect(await store.protection('h/held.opus')).toEqual({ retention: undefined, legalHold: true });
      const err = await store.delete('h/held.opus').catch(e => e);
      expect(err).toBeInstanceOf(BlobLockedError);
      expect(err.message).toMatch(/legal hold/);
      // refused before anything was deleted: both versions are still there
      expect(await versionsOf(lockBucket, store.objectKey('h/held.opus'))).toHaveLength(2);
      await store.setLegalHold('h/held.opus', false);
      expect(await store.delete('h/held.opus')).toBe(true);
      expect(await versionsOf(lockBucket, store.objectKey('h/held.opus'))).toEqual([]);
      expect(await store.delete('h/held.opus')).toBe(false);
      await expect(store.setLegalHold('h/held.opus', true)).rejects.toBeInstanceOf(BlobNotFoundError);
      // a multipart upload is put under legal hold too
      await store.put('h/big.wav', pattern(5 * 1024 * 1024 + 10), { contentType: 'audio/wav', legalHold: true });
      expect(await store.protection('h/big.wav')).toEqual({ retention: undefined, legalHold: true });
      await expect(store.delete('h/big.wav')).rejects.toBeInstanceOf(BlobLockedError);
      await store.setLegalHold('h/big.wav', false);
      expect(await store.delete('h/big.wav')).toBe(true);
    });

    it("applies the store's configured retention to every put unless a put says otherwise", async () => {
      const store = lockStore({ objectLock: { mode: 'GOVERNANCE', retentionDays: 3 } });
      const before = Date.now();
      const put = await store.put('d/a.opus', Buffer.from('a'), { contentType: 'audio/ogg' });
      expect(put.retention?.mode).toBe('GOVERNANCE');
      const p = await store.protection('d/a.opus');
      expect(p.retention?.mode).toBe('GOVERNANCE');
      const days = (p.retention!.retainUntil.getTime() - before) / 86_400_000;
      expect(days).toBeGreaterThan(2.99);
      expect(days).toBeLessThan(3.01);
      await expect(store.delete('d/a.opus')).rejects.toBeInstanceOf(BlobLockedError);
      // a multipart upload carries the retention too
      await store.put('d/big.wav', pattern(6 * 1024 * 1024), { contentType: 'audio/wav' });
      expect((await store.protection('d/big.wav')).retention?.mode).toBe('GOVERNANCE');
      await expect(store.delete('d/big.wav')).rejects.toBeInstanceOf(BlobLockedError);
      // retention: null opts out (e.g. derived files that may be rebuilt)
      await store.put('d/derived.mp3', Buffer.from('m'), { contentType: 'audio/mpeg', retention: null });
      expect((await store.protection('d/derived.mp3')).retention).toBeUndefined();
      expect(await store.delete('d/derived.mp3')).toBe(true);
    });

    it("honours the bucket's default retention: an object put without one is still locked", async () => {
      const bucket = await createTestBucket(admin, { objectLock: true, defaultRetention: { mode: 'GOVERNANCE', days: 1 } });
      const store = new S3BlobStore(s3StoreOptions(server, bucket));
      stores.push(store);
      try {
        await store.put('x.opus', Buffer.from('x'), { contentType: 'audio/ogg' });
        expect((await store.protection('x.opus')).retention?.mode).toBe('GOVERNANCE');
        await expect(store.delete('x.opus')).rejects.toBeInstanceOf(BlobLockedError);
        // the probe writes no object, so it leaves nothing locked behind
        expect(await store.checkWritable()).toEqual({ ok: true });
        expect(await store.list('')).toEqual(['x.opus']);
      } finally {
        await removeTestBucket(admin, bucket);
      }
    });
  });

  it('verifyBucket: a missing bucket, and Object Lock configured on a bucket without it, are start-up errors', async () => {
    const ok = lockStore({ objectLock: { mode: 'COMPLIANCE', retentionDays: 1 } });
    await expect(ok.verifyBucket()).resolves.toBeUndefined();
    const missing = new S3BlobStore(s3StoreOptions(server, `${plainBucket}-missing`));
    stores.push(missing);
    await expect(missing.verifyBucket()).rejects.toThrow(/does not exist/);
    const noLock = new S3BlobStore(
      s3StoreOptions(server, plainBucket, { objectLock: { mode: 'COMPLIANCE', retentionDays: 1 } }),
    );
    stores.push(noLock);
    await expect(noLock.verifyBucket()).rejects.toThrow(/has no Object Lock, but COMPLIANCE retention is configured/);
    // without the check, every put would fail
    await expect(noLock.put('x', Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow();
    const plain = new S3BlobStore(s3StoreOptions(server, plainBucket));
    stores.push(plain);
    await expect(plain.verifyBucket()).resolves.toBeUndefined();
    const wrongKey = new S3BlobStore({
      ...s3StoreOptions(server, plainBucket),
      credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: 'wrong' },
    });
    stores.push(wrongKey);
    await expect(wrongKey.verifyBucket()).rejects.toThrow(/access denied/);
  });

  it('delete on a versioned bucket removes every version, not just the current one', async () => {
    const store = lockStore();
    await store.put('v/k', Buffer.from('1'), { contentType: 'text/plain' });
    await store.put('v/k', Buffer.from('22'), { contentType: 'text/plain' });
    await store.put('v/k2', Buffer.from('other key with the same prefix'), { contentType: 'text/plain' });
    expect(await versionsOf(lockBucket, store.objectKey('v/k'))).toHaveLength(2);
    expect(await store.delete('v/k')).toBe(true);
    expect(await versionsOf(lockBucket, store.objectKey('v/k'))).toEqual([]);
    expect(await store.list('v/')).toEqual(['v/k2']);
  });

  it('bytes altered on the way are refused by the store and nothing is stored (single and multipart)', async () => {
    const store = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: 'md5/', maxAttempts: 1 }));
    stores.push(store);
    // flip one byte of the body after the request was built and signed
    store.client.middlewareStack.add(
      next => async args => {
        const req = (args as { request: { body?: unknown } }).request;
        if (Buffer.isBuffer(req.body) && req.body.length > 0) {
          const copy = Buffer.from(req.body);
          copy[0] ^= 0xff;
          req.body = copy;
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'corruptBody', priority: 'low' },
    );
    const err = await store.put('a.opus', Buffer.from('original bytes'), { contentType: 'audio/ogg' }).catch(e => e);
    expect(err).toBeInstanceOf(Error);
    // the store checks the signed payload hash (x-amz-content-sha256) and Content-MD5
    expect(err.name).toMatch(/BadDigest|InvalidDigest|XAmzContentSHA256Mismatch/);
    const big = await store.put('b.wav', pattern(6 * 1024 * 1024), { contentType: 'audio/wav' }).catch(e => e);
    expect(big.name).toMatch(/BadDigest|InvalidDigest|XAmzContentSHA256Mismatch/);
    const clean = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: 'md5/' }));
    stores.push(clean);
    expect(await clean.list('')).toEqual([]);
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: plainBucket, Prefix: 'md5/' }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it("compares the store's ETag with the MD5 of the bytes sent (single, part, completed object), except for SSE-KMS objects", async () => {
    /** a store whose answers to `commands` carry another ETag (and, with kms, SSE-KMS) */
    const tampered = (prefix: string, commands: string[], kms = false) => {
      const store = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix, maxAttempts: 1 }));
      stores.push(store);
      store.client.middlewareStack.add(
        (next, context) => async args => {
          const result = await next(args);
          if (commands.includes(context.commandName ?? '')) {
            const output = result.output as { ETag?: string; ServerSideEncryption?: string };
            output.ETag = '"00000000000000000000000000000000"';
            if (kms) output.ServerSideEncryption = 'aws:kms';
          }
          return result;
        },
        { step: 'initialize', name: 'tamperETag' },
      );
      return store;
    };
    const big = pattern(5 * 1024 * 1024 + 100, 3);
    await expect(
      tampered('etag1/', ['PutObjectCommand']).put('a', Buffer.from('x'), { contentType: 'text/plain' }),
    ).rejects.toThrow(/is not the MD5 of the bytes sent/);
    await expect(
      tampered('etag2/', ['UploadPartCommand']).put('b', big, { contentType: 'audio/wav' }),
    ).rejects.toThrow(/S3 part \d of .* is not the MD5 of the bytes sent/);
    await expect(
      tampered('etag3/', ['CompleteMultipartUploadCommand', 'HeadObjectCommand']).put('c', big, { contentType: 'audio/wav' }),
    ).rejects.toThrow(/after the multipart upload is not [0-9a-f]{32}-2/);
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: plainBucket, Prefix: 'etag' }));
    expect(uploads.Uploads ?? []).toEqual([]);
    // SSE-KMS: the ETag is not an MD5, so it is not compared (Content-MD5 still is, by the store)
    // (a part's ETag is not tampered here: the store would refuse the completion with it)
    const kms = tampered('etag4/', ['PutObjectCommand', 'CompleteMultipartUploadCommand'], true);
    await expect(kms.put('d', Buffer.from('x'), { contentType: 'text/plain' })).resolves.toMatchObject({ size: 1 });
    await expect(kms.put('e', big, { contentType: 'audio/wav' })).resolves.toMatchObject({ size: big.length, sha256: sha256(big) });
  });

  it('aborts a multipart upload whose body fails: no upload left open in the bucket', async () => {
    const store = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: 'abort/' }));
    stores.push(store);
    async function* failing() {
      yield pattern(5 * 1024 * 1024 + 1);
      yield pattern(5 * 1024 * 1024 + 1);
      throw new Error('recorder disk read failed');
    }
    await expect(store.put('x.wav', failing(), { contentType: 'audio/wav' })).rejects.toThrow('recorder disk read failed');
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: plainBucket, Prefix: 'abort/' }));
    expect(uploads.Uploads ?? []).toEqual([]);
    expect(await store.stat('x.wav')).toBeUndefined();
  });

  it('lists and deletes across pages (ListObjectsV2 and ListObjectVersions continue where a page ended)', async () => {
    const store = lockStore({ listPageSize: 7 });
    const keys = Array.from({ length: 23 }, (_, i) => `p/${String(i).padStart(3, '0')}`);
    for (const k of keys) await store.put(k, Buffer.from(k), { contentType: 'text/plain' });
    // a key with more versions than one page
    for (let v = 0; v < 9; v++) await store.put('q/many-versions', Buffer.from(`v${v}`), { contentType: 'text/plain' });
    expect(await store.list('p/')).toEqual(keys);
    expect(await versionsOf(lockBucket, store.objectKey('q/many-versions'))).toHaveLength(9);
    expect(await store.delete('q/many-versions')).toBe(true);
    expect(await versionsOf(lockBucket, store.objectKey('q/many-versions'))).toEqual([]);
    expect(await store.list('')).toEqual(keys);
  });

  it('keeps stores with different prefixes in one bucket apart', async () => {
    const a = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: 'site-a/' }));
    const b = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: 'site-b/' }));
    stores.push(a, b);
    await a.put('k', Buffer.from('a'), { contentType: 'text/plain' });
    await b.put('k', Buffer.from('b'), { contentType: 'text/plain' });
    expect((await readAll(await a.get('k'))).toString()).toBe('a');
    expect(await a.list('')).toEqual(['k']);
    expect(await a.delete('k')).toBe(true);
    expect((await readAll(await b.get('k'))).toString()).toBe('b');
  });

  it('reads a range through a part boundary of a multipart object with more parts in flight than allowed at once', async () => {
    const store = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: 'conc/', partConcurrency: 2 }));
    stores.push(store);
    const data = pattern(26 * 1024 * 1024 + 7, 77);
    const res = await store.put('x.wav', data, { contentType: 'audio/wav' });
    expect(res.etag).toMatch(/-6$/);
    expect(res.sha256).toBe(sha256(data));
    const got = await readAll(await store.get('x.wav', { start: 15 * 1024 * 1024 - 3, end: 15 * 1024 * 1024 + 2 }));
    expect(got.equals(data.subarray(15 * 1024 * 1024 - 3, 15 * 1024 * 1024 + 3))).toBe(true);
  });
});
