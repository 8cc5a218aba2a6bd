/*
 * Chooses the recording storage from configuration: `voiceRecording.storage.s3` (an
 * S3-compatible object store) or `voiceRecording.storage.local` (files; the default).
 */
import * as nodePath from 'node:path';
import type { RootConfigService } from '@backstage/backend-plugin-api';
import type { S3Client } from '@aws-sdk/client-s3';
import { LocalFileBlobStore, LocalFileBlobStoreOptions } from './BlobStore';
import { S3BlobStore, S3BlobStoreOptions, S3ObjectLockMode, validateS3Prefix } from './S3BlobStore';

/** Default local recording storage, relative to the working directory (as the backend's config.ts). */
export const DEFAULT_LOCAL_BLOB_DIRECTORY = '../../.data/recordings';

export type ConfiguredBlobStore =
  | { kind: 'local'; store: LocalFileBlobStore; description: string }
  | { kind: 's3'; store: S3BlobStore; description: string; options: S3BlobStoreOptions };

/** A configuration value that cannot be used, naming the key. */
export class BlobStoreConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(`voiceRecording.${key}: ${message}`);
    this.name = 'BlobStoreConfigError';
  }
}

/**
 * Reads `voiceRecording.storage.s3.*` into S3BlobStore options; undefined when the section
 * is absent. Credentials are optional: without them the AWS SDK's default chain is used
 * (environment, shared config/profile, web identity, container or instance metadata).
 */
export function readS3BlobStoreOptions(config: RootConfigService): S3BlobStoreOptions | undefined {
  const s3 = config.getOptionalConfig('voiceRecording.storage.s3');
  if (!s3) return undefined;
  const bucket = s3.getOptionalString('bucket');
  if (!bucket) throw new BlobStoreConfigError('storage.s3.bucket', 'is required when storage.s3 is set');
  const prefix = s3.getOptionalString('prefix') ?? '';
  try {
    validateS3Prefix(prefix);
  } catch (e) {
    throw new BlobStoreConfigError('storage.s3.prefix', (e as Error).message);
  }
  const endpoint = s3.getOptionalString('endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new BlobStoreConfigError('storage.s3.endpoint', `must be an http(s) URL, not ${JSON.stringify(endpoint)}`);
  }
  const creds = s3.getOptionalConfig('credentials');
  let credentials: S3BlobStoreOptions['credentials'];
  if (creds) {
    const accessKeyId = creds.getOptionalString('accessKeyId');
    const secretAccessKey = creds.getOptionalString('secretAccessKey');
    if (!accessKeyId || !secretAccessKey) {
      throw new BlobStoreConfigError(
        'storage.s3.credentials',
        'needs both accessKeyId and secretAccessKey (leave credentials out to use the default AWS credential chain)',
      );
    }
    credentials = { accessKeyId, secretAccessKey, sessionToken: creds.getOptionalString('sessionToken') };
  }
  const lock = s3.getOptionalConfig('objectLock');
  let objectLock: S3BlobStoreOptions['objectLock'];
  if (lock) {
    const mode = lock.getString('mode');
    if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') {
      throw new BlobStoreConfigError('storage.s3.objectLock.mode', `must be GOVERNANCE or COMPLIANCE, not ${JSON.stringify(mode)}`);
    }
    const retentionDays = lock.getNumber('retentionDays');
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new BlobStoreConfigError('storage.s3.objectLock.retentionDays', `must be a whole number of days >= 1, not ${retentionDays}`);
    }
    objectLock = { mode: mode as S3ObjectLockMode, retentionDays };
  }
  const partMb = s3.getOptionalNumber('partSizeMegabytes');
  if (partMb !== undefined && !(partMb >= 5 && partMb <= 5120)) {
    throw new BlobStoreConfigError('storage.s3.partSizeMegabytes', `must be between 5 and 5120, not ${partMb}`);
  }
  const partConcurrency = s3.getOptionalNumber('partConcurrency');
  if (partConcurrency !== undefined && !(Number.isInteger(partConcurrency) && partConcurrency >= 1 && partConcurrency <= 64)) {
    throw new BlobStoreConfigError('storage.s3.partConcurrency', `must be a whole number from 1 to 64, not ${partConcurrency}`);
  }
  return {
    bucket,
    prefix,
    endpoint,
    region: s3.getOptionalString('region'),
    forcePathStyle: s3.getOptionalBoolean('forcePathStyle'),
    credentials,
    objectLock,
    partSizeBytes: partMb !== undefined ? Math.round(partMb * 1024 * 1024) : undefined,
    partConcurrency,
    requestTimeoutMs: s3.getOptionalNumber('requestTimeoutSeconds') !== undefined
      ? s3.getNumber('requestTimeoutSeconds') * 1000
      : undefined,
  };
}

/**
 * The recording storage the configuration asks for: S3 when `voiceRecording.storage.s3`
 * is set, else local files under `voiceRecording.storage.local.directory` (resolved
 * against the working directory; default ../../.data/recordings). Setting both is an error.
 */
export function createBlobStoreFromConfig(
  config: RootConfigService,
  options: {
    /** local directory when none is configured; default ../../.data/recordings */
    defaultLocalDirectory?: string;
    localOptions?: LocalFileBlobStoreOptions;
    /** a ready S3 client (tests) */
    s3Client?: S3Client;
  } = {},
): ConfiguredBlobStore {
  const s3 = readS3BlobStoreOptions(config);
  const localDir = config.getOptionalString('voiceRecording.storage.local.directory');
  if (s3) {
    if (localDir !== undefined) {
      throw new BlobStoreConfigError('storage', 'set either storage.local or storage.s3, not both');
    }
    const store = new S3BlobStore({ ...s3, client: options.s3Client });
    const where = `${store.location()}${s3.endpoint ? ` at ${s3.endpoint}` : ''}`;
    const lock = s3.objectLock
      ? `, Object Lock ${s3.objectLock.mode} ${s3.objectLock.retentionDays} days`
      : '';
    const creds = s3.credentials ? 'configured credentials' : 'the default AWS credential chain';
    return { kind: 's3', store, options: s3, description: `S3 object storage ${where} (${creds}${lock})` };
  }
  const dir = nodePath.resolve(localDir ?? options.defaultLocalDirectory ?? DEFAULT_LOCAL_BLOB_DIRECTORY);
  return {
    kind: 'local',
    store: new LocalFileBlobStore(dir, options.localOptions),
    description: `local files in ${dir}`,
  };
}

