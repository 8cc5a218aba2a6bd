/*
 * The S3 server of the tests: a Ceph RADOS Gateway started by scripts/rgw.sh, named by
 * MVR_TEST_S3_* (scripts/test.sh starts it and sets them). Without MVR_TEST_S3_ENDPOINT the
 * S3 tests are skipped with a message on a developer's machine and FAIL in CI (CI=true),
 * so a CI run can never pass without having run them.
 */
/* eslint-disable jest/no-export, jest/valid-title -- shared by several test files: it exports, and its titles are parameters */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  AbortMultipartUploadCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3BlobStore, S3BlobStoreOptions } from '../storage/S3BlobStore';

export interface S3TestServer {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export const S3_SKIP_MESSAGE =
  'S3 tests skipped: MVR_TEST_S3_ENDPOINT is not set. Start a Ceph RGW with `eval "$(bash scripts/rgw.sh start)"` ' +
  '(scripts/test.sh does this, and CI fails without it).';

export function s3TestServer(): S3TestServer | undefined {
  const endpoint = process.env.MVR_TEST_S3_ENDPOINT;
  if (!endpoint) return undefined;
  return {
    endpoint,
    region: process.env.MVR_TEST_S3_REGION ?? 'us-east-1',
    credentials: {
      accessKeyId: process.env.MVR_TEST_S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.MVR_TEST_S3_SECRET_ACCESS_KEY ?? '',
    },
  };
}

/**
 * `describe` when the S3 server is configured; otherwise a skipped block with a message,
 * or (CI=true) a failing test that says what is missing.
 */
export function describeWithS3(name: string, fn: (server: S3TestServer) => void): void {
  const server = s3TestServer();
  if (server) {
    describe(name, () => {
      fn(server);
    });
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      // eslint-disable-next-line jest/expect-expect
      it('needs the S3 test server in CI', () => {
        throw new Error(`${S3_SKIP_MESSAGE} In CI these tests must run.`);
      });
    });
    return;
  }
  describe(name, () => {
    // eslint-disable-next-line jest/no-disabled-tests, jest/expect-expect
    it.skip(S3_SKIP_MESSAGE, () => undefined);
  });
}

export function s3AdminClient(server: S3TestServer): S3Client {
  return new S3Client(
    S3BlobStore.clientConfig({
      bucket: 'unused',
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: server.credentials,
    }),
  );
}

/** a fresh bucket (Object Lock enabled when asked; that turns versioning on) */
export async function createTestBucket(
  client: S3Client,
  options: { objectLock?: boolean; defaultRetention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number } } = {},
): Promise<string> {
  const bucket = `mvr-test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: options.objectLock || undefined }));
  if (options.defaultRetention) {
    await client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: options.defaultRetention.mode, Days: options.defaultRetention.days } },
        },
      }),
    );
  }
  return bucket;
}

/**
 * Deletes what can be deleted (GOVERNANCE retention bypassed) and then the bucket; a
 * bucket holding COMPLIANCE-locked versions stays (the test RGW is thrown away).
 */
export async function removeTestBucket(client: S3Client, bucket: string): Promise<void> {
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  }
  let locked = false;
  for (;;) {
    const res = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const all = [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])];
    let deleted = 0;
    for (const v of all) {
      try {
        await client.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: v.Key, VersionId: v.VersionId, BypassGovernanceRetention: true }),
        );
        deleted++;
      } catch {
        locked = true;
      }
    }
    if (!res.IsTruncated || deleted === 0) break;
  }
  if (!locked) await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

export function s3StoreOptions(server: S3TestServer, bucket: string, extra: Partial<S3BlobStoreOptions> = {}): S3BlobStoreOptions {
  return {
    bucket,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: server.credentials,
    partSizeBytes: 5 * 1024 * 1024,
    ...extra,
  };
}
