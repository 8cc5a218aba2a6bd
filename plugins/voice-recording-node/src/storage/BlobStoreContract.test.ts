/*
 * The one BlobStore contract run against every store: local files, and S3 on a real Ceph
 * RADOS Gateway (a plain bucket, and a bucket with Object Lock where a locked blob's delete
 * must be refused), and the EncryptedBlobStore wrapper over both (an encrypted archive in S3).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { LocalFileBlobStore } from './BlobStore';
import { BlobLockedError, S3BlobStore } from './S3BlobStore';
import { EncryptedBlobStore } from './EncryptedBlobStore';
import { StaticKeyEncryptionKeys } from './KeyEncryptionKeys';
import { describeBlobStoreContract } from '../__testUtils__/blobStoreContract';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '../testing/s3TestServer';

jest.setTimeout(60_000);

const encryptionKeys = () => new StaticKeyEncryptionKeys([['contract-key', randomBytes(32)]], 'contract-key');

describeBlobStoreContract(
  'LocalFileBlobStore',
  async () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-contract-'));
    return {
      store: new LocalFileBlobStore(path.join(dir, 'root'), { minFreeBytes: 0 }),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  },
  { objectLock: false },
);

describeBlobStoreContract(
  'EncryptedBlobStore over LocalFileBlobStore',
  async () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-contract-'));
    const inner = new LocalFileBlobStore(path.join(dir, 'root'), { minFreeBytes: 0 });
    return {
      store: new EncryptedBlobStore(inner, encryptionKeys()),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  },
  { objectLock: false },
);

describeWithS3('S3BlobStore on Ceph RGW', server => {
  let admin: S3Client;
  let plainBucket: string;
  let lockBucket: string;
  let n = 0;
  beforeAll(async () => {
    admin = s3AdminClient(server);
    plainBucket = await createTestBucket(admin);
    lockBucket = await createTestBucket(admin, { objectLock: true });
  });
  afterAll(async () => {
    await removeTestBucket(admin, plainBucket);
    await removeTestBucket(admin, lockBucket);
    admin.destroy();
  });

  // each test gets its own key prefix in a shared bucket (a bucket per test costs more)
  describeBlobStoreContract(
    'S3BlobStore, plain bucket',
    async () => {
      const store = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: `t${++n}/` }));
      return { store, cleanup: async () => store.destroy() };
    },
    { objectLock: false },
  );

  describeBlobStoreContract(
    'S3BlobStore, bucket with Object Lock (versioned)',
    async () => {
      const store = new S3BlobStore(s3StoreOptions(server, lockBucket, { prefix: `t${++n}/` }));
      return {
        store,
        cleanup: async () => store.destroy(),
        lockedError: BlobLockedError,
        putLocked: async (key, body) => {
          await store.put(key, body, {
            contentType: 'audio/ogg',
            retention: { mode: 'GOVERNANCE', retainUntil: new Date(Date.now() + 3_600_000) },
          });
        },
      };
    },
    { objectLock: true },
  );

  describeBlobStoreContract(
    'EncryptedBlobStore over S3BlobStore',
    async () => {
      const inner = new S3BlobStore(s3StoreOptions(server, plainBucket, { prefix: `t${++n}/` }));
      return { store: new EncryptedBlobStore(inner, encryptionKeys()), cleanup: async () => inner.destroy() };
    },
    { objectLock: false },
  );
});
