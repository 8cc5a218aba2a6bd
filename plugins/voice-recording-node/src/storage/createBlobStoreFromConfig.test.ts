import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { S3Client } from '@aws-sdk/client-s3';
import { LocalFileBlobStore } from './BlobStore';
import { S3BlobStore } from './S3BlobStore';
import { BlobStoreConfigError, createBlobStoreFromConfig } from './createBlobStoreFromConfig';
import { readAll } from '../__testUtils__/blobStoreContract';
import { createTestBucket, describeWithS3, removeTestBucket, s3AdminClient } from '../testing/s3TestServer';

const config = (storage: unknown) => mockServices.rootConfig({ data: { voiceRecording: storage === undefined ? {} : { storage } } });

describe('createBlobStoreFromConfig', () => {
  it('uses local files by default and under storage.local.directory', () => {
    const d = createBlobStoreFromConfig(config(undefined), { defaultLocalDirectory: '/tmp/mvr-default-root' });
    expect(d.kind).toBe('local');
    expect(d.store).toBeInstanceOf(LocalFileBlobStore);
    expect((d.store as LocalFileBlobStore).root).toBe('/tmp/mvr-default-root');
    const c = createBlobStoreFromConfig(config({ local: { directory: 'rel/recordings' } }));
    expect((c.store as LocalFileBlobStore).root).toBe(path.resolve('rel/recordings'));
    expect(c.description).toBe(`local files in ${path.resolve('rel/recordings')}`);
  });

  it('builds an S3 store from storage.s3 with every option', () => {
    const c = createBlobStoreFromConfig(
      config({
        s3: {
          bucket: 'recordings',
          prefix: 'bank-a/',
          endpoint: 'https://rgw.example.net',
          region: 'eu-west-1',
          forcePathStyle: true,
          credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'secret-value' },
          objectLock: { mode: 'COMPLIANCE', retentionDays: 2557 },
          partSizeMegabytes: 16,
          partConcurrency: 2,
          requestTimeoutSeconds: 45,
        },
      }),
    );
    expect(c.kind).toBe('s3');
    const store = c.store as S3BlobStore;
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.location('x')).toBe('s3://recordings/bank-a/x');
    expect(store.objectLock).toEqual({ mode: 'COMPLIANCE', retentionDays: 2557 });
    expect(store.partSizeBytes).toBe(16 * 1024 * 1024);
    expect(store.partConcurrency).toBe(2);
    expect(c.kind === 's3' && c.options).toMatchObject({
      endpoint: 'https://rgw.example.net',
      region: 'eu-west-1',
      forcePathStyle: true,
      requestTimeoutMs: 45_000,
    });
    // the description is logged: it names the store, never the secret
    expect(c.description).toBe(
      'S3 object storage s3://recordings/bank-a/ at https://rgw.example.net (configured credentials, Object Lock COMPLIANCE 2557 days)',
    );
    expect(c.description).not.toContain('secret-value');
    store.destroy();
  });

  it('uses the default AWS credential chain when no credentials are configured', async () => {
    const c = createBlobStoreFromConfig(config({ s3: { bucket: 'b' } }));
    expect(c.description).toBe('S3 object storage s3://b/ (the default AWS credential chain)');
    const store = c.store as S3BlobStore;
    // no static credentials were handed to the client: the SDK resolves its chain (env first)
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'from-env';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    try {
      const creds = await store.client.config.credentials();
      expect(creds.accessKeyId).toBe('from-env');
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.key;
      store.destroy();
    }
  });

  it.each([
    [{ s3: { prefix: 'x/' } }, 'voiceRecording.storage.s3.bucket'],
    [{ s3: { bucket: 'b', prefix: 'no-slash' } }, 'voiceRecording.storage.s3.prefix'],
    [{ s3: { bucket: 'b', endpoint: 'rgw.local:7480' } }, 'voiceRecording.storage.s3.endpoint'],
    [{ s3: { bucket: 'b', credentials: { accessKeyId: 'a' } } }, 'voiceRecording.storage.s3.credentials'],
    [{ s3: { bucket: 'b', objectLock: { mode: 'governance', retentionDays: 1 } } }, 'voiceRecording.storage.s3.objectLock.mode'],
    [{ s3: { bucket: 'b', objectLock: { mode: 'GOVERNANCE', retentionDays: 0.5 } } }, 'voiceRecording.storage.s3.objectLock.retentionDays'],
    [{ s3: { bucket: 'b', partSizeMegabytes: 4 } }, 'voiceRecording.storage.s3.partSizeMegabytes'],
    [{ s3: { bucket: 'b', partConcurrency: 0 } }, 'voiceRecording.storage.s3.partConcurrency'],
    [{ s3: { bucket: 'b' }, local: { directory: '/x' } }, 'voiceRecording.storage'],
  ])('refuses %j naming %s', (storage, key) => {
    let error: unknown;
    try {
      createBlobStoreFromConfig(config(storage));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BlobStoreConfigError);
    expect((error as Error).message.startsWith(`${key}:`)).toBe(true);
  });
});

describeWithS3('createBlobStoreFromConfig on Ceph RGW', server => {
  let admin: S3Client;
  let bucket: string;
  beforeAll(async () => {
    admin = s3AdminClient(server);
    bucket = await createTestBucket(admin);
  });
  afterAll(async () => {
    await removeTestBucket(admin, bucket);
    admin.destroy();
  });

  it('the configured S3 store stores and reads a recording', async () => {
    const c = createBlobStoreFromConfig(
      config({
        s3: {
          bucket,
          prefix: 'cfg/',
          endpoint: server.endpoint,
          region: server.region,
          forcePathStyle: true,
          credentials: server.credentials,
        },
      }),
    );
    try {
      expect(await c.store.checkWritable()).toEqual({ ok: true });
      const put = await c.store.put('2025/01/a.opus', Buffer.from('OggS...'), { contentType: 'audio/ogg' });
      expect(put.size).toBe(7);
      expect((await readAll(await c.store.get('2025/01/a.opus'))).toString()).toBe('OggS...');
      expect(await c.store.list('')).toEqual(['2025/01/a.opus']);
    } finally {
      (c.store as S3BlobStore).destroy();
    }
  });
});
