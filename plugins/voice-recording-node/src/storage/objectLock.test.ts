/*
 * Object Lock dates of recordings (objectLock.ts): which retention each kind of file gets,
 * and on a real Ceph RGW bucket with Object Lock that the archive is locked until the
 * conversation's retention end (through encryption at rest too), the interim and derived
 * files are not locked, and a later retention end extends the lock while an earlier one
 * leaves it. GOVERNANCE mode only, so the test bucket is emptied afterwards.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalFileBlobStore } from './BlobStore';
import { EncryptedBlobStore } from './EncryptedBlobStore';
import { StaticKeyEncryptionKeys } from './KeyEncryptionKeys';
import { BlobLockedError, S3BlobStore } from './S3BlobStore';
import { archiveRetentionFor, objectLockFor, objectLockOf, s3StoreOf } from './objectLock';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '../testing/s3TestServer';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const lock = { mode: 'GOVERNANCE' as const, retentionDays: 30 };

describe('objectLockFor', () => {
  const now = new Date('2026-12-07T10:00:00.000Z');

  it('locks an archive until the conversation retention end, else for retentionDays', () => {
    expect(objectLockFor(lock, { retentionUntil: '2031-12-07T10:00:00.000Z' }, 'archive', now)).toEqual({
      retention: { mode: 'GOVERNANCE', retainUntil: new Date('2031-12-07T10:00:00.000Z') },
    });
    expect(objectLockFor(lock, { retentionUntil: undefined }, 'archive', now)).toEqual({
      retention: { mode: 'GOVERNANCE', retainUntil: new Date(now.getTime() + 30 * DAY) },
    });
    expect(objectLockFor(lock, undefined, 'archive', now).retention?.retainUntil).toEqual(new Date(now.getTime() + 30 * DAY));
    // a retention end that has passed: due for disposal, not locked
    expect(objectLockFor(lock, { retentionUntil: '2026-12-01T00:00:00.000Z' }, 'archive', now)).toEqual({ retention: null });
  });

  it('puts interim WAVs, peaks and derived files without retention', () => {
    for (const kind of ['interim', 'peaks', 'derived'] as const) {
      expect(objectLockFor(lock, { retentionUntil: '2031-12-07T10:00:00.000Z' }, kind, now)).toEqual({ retention: null });
    }
  });

  it('adds nothing for a store without Object Lock', () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-lock-'));
    try {
      const local = new LocalFileBlobStore(dir);
      expect(objectLockFor(local, { retentionUntil: '2031-01-01T00:00:00Z' }, 'archive', now)).toEqual({});
      expect(objectLockFor(undefined, undefined, 'archive', now)).toEqual({});
      expect(objectLockOf(local)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a retention end that is no date, naming it', () => {
    expect(() => objectLockFor(lock, { retentionUntil: 'next year' }, 'archive', now)).toThrow(
      'objectLockFor: retentionUntil "next year" is not a date',
    );
  });

  it('finds the S3 store and its lock through wrappers', () => {
    const s3 = new S3BlobStore({ bucket: 'b', endpoint: 'http://127.0.0.1:1', objectLock: lock, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      const encrypted = new EncryptedBlobStore(s3, new StaticKeyEncryptionKeys([['k1', randomBytes(32)]], 'k1'));
      const staging = { remote: encrypted, inner: new LocalFileBlobStore(tmpdir()) } as any;
      expect(s3StoreOf(encrypted)).toBe(s3);
      expect(s3StoreOf(staging)).toBe(s3);
      expect(objectLockOf(staging)).toEqual(lock);
      expect(archiveRetentionFor(encrypted, { retentionUntil: '2031-01-01T00:00:00.000Z' }, now)).toEqual({
        mode: 'GOVERNANCE',
        retainUntil: new Date('2031-01-01T00:00:00.000Z'),
      });
    } finally {
      s3.destroy();
    }
  });
});

describeWithS3('Object Lock dates on Ceph RGW', server => {
  const admin = s3AdminClient(server);
  let bucket: string;
  let store: S3BlobStore;

  beforeAll(async () => {
    bucket = await createTestBucket(admin, { objectLock: true });
    store = new S3BlobStore(s3StoreOptions(server, bucket, { objectLock: lock }));
  });

  afterAll(async () => {
    store.destroy();
    await removeTestBucket(admin, bucket);
    admin.destroy();
  });

  it('locks the archive until the retention end (encrypted at rest too), not its peaks or interim WAV', async () => {
    const until = new Date(Date.now() + 3 * DAY);
    until.setUTCMilliseconds(0);
    const conversation = { retentionUntil: until.toISOString() };
    const encrypted = new EncryptedBlobStore(store, new StaticKeyEncryptionKeys([['k1', randomBytes(32)]], 'k1'));
    await encrypted.put('c1/a.opus', randomBytes(1000), { contentType: 'audio/ogg', ...objectLockFor(encrypted, conversation, 'archive') });
    await encrypted.put('c1/a.opus.peaks', randomBytes(10), { contentType: 'application/octet-stream', ...objectLockFor(encrypted, conversation, 'peaks') });
    await encrypted.put('c1/a.wav', randomBytes(1000), { contentType: 'audio/wav', ...objectLockFor(encrypted, conversation, 'interim') });

    const archive = await store.protection('c1/a.opus');
    expect(archive.retention).toEqual({ mode: 'GOVERNANCE', retainUntil: until });
    expect(await store.protection('c1/a.opus.peaks')).toEqual({ legalHold: false, retention: undefined });
    await expect(encrypted.delete('c1/a.opus')).rejects.toBeInstanceOf(BlobLockedError);
    await expect(encrypted.delete('c1/a.opus.peaks')).resolves.toBe(true);
    await expect(encrypted.delete('c1/a.wav')).resolves.toBe(true);
  });

  it('extends a retention to a later date and never shortens it', async () => {
    const first = new Date(Date.now() + 2 * DAY);
    first.setUTCMilliseconds(0);
    await store.put('c2/a.opus', randomBytes(100), { contentType: 'audio/ogg', retention: { mode: 'GOVERNANCE', retainUntil: first } });
    const later = new Date(first.getTime() + 5 * DAY);
    const extended = await store.extendRetention('c2/a.opus', later);
    expect(extended).toEqual({ extended: true, retention: { mode: 'GOVERNANCE', retainUntil: later } });
    expect((await store.protection('c2/a.opus')).retention?.retainUntil).toEqual(later);
    const earlier = await store.extendRetention('c2/a.opus', first);
    expect(earlier.extended).toBe(false);
    expect((await store.protection('c2/a.opus')).retention?.retainUntil).toEqual(later);
    // an object put without retention gets the store's mode
    await store.put('c2/b.opus', randomBytes(100), { contentType: 'audio/ogg', retention: null });
    const fresh = await store.extendRetention('c2/b.opus', first);
    expect(fresh).toEqual({ extended: true, retention: { mode: 'GOVERNANCE', retainUntil: first } });
    await expect(store.delete('c2/b.opus')).rejects.toThrow(/GOVERNANCE retention until/);
  });
});
