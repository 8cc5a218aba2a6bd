/*
 * Blob storage in any S3-compatible object store (AWS S3, Ceph RADOS Gateway, MinIO, ...)
 * through @aws-sdk/client-s3, with S3 Object Lock (WORM) when the bucket has it.
 *
 * - put streams the body: a body smaller than one part is one PutObject, a larger one a
 *   multipart upload (parts uploaded while the next is read, at most `partConcurrency` in
 *   flight). Every request carries Content-MD5, so the store refuses altered bytes, and
 *   the ETag the store returns (MD5, or MD5 of the parts' MD5s for a multipart object) is
 *   compared with the one computed locally: put resolves only when the store holds exactly
 *   the bytes read. It returns their size and SHA-256. A failed multipart upload is aborted.
 * - get streams ranges from the store (the permission check stays on the server that calls
 *   it); a range past the end is a RangeError as with the local store.
 * - delete removes every version of the key (on a versioned bucket, which Object Lock
 *   requires, a plain DeleteObject would only hide the data behind a delete marker). A
 *   version under retention or legal hold is refused with BlobLockedError before anything
 *   is deleted.
 * - checkWritable starts and aborts a multipart upload: it proves write access without
 *   leaving an object (a probe object would itself be locked by a bucket's default
 *   retention).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  ObjectLockLegalHoldStatus,
  ObjectLockMode,
  ObjectLockRetentionMode,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  S3Client,
  S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  BlobBody,
  BlobNotFoundError,
  BlobPutResult,
  BlobRange,
  BlobStat,
  BlobStore,
  InvalidBlobKeyError,
  StorageHealth,
  StorageUnavailableError,
  validateBlobKey,
} from './BlobStore';

export type S3ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** Object Lock retention of one object. */
export interface S3Retention {
  mode: S3ObjectLockMode;
  retainUntil: Date;
}

/** The lock state of a stored object (its current version). */
export interface S3ObjectProtection {
  retention?: S3Retention;
  legalHold: boolean;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3BlobStoreOptions {
  bucket: string;
  /** prepended to every key: '' or segments ending in '/', e.g. 'recordings/site-a/' */
  prefix?: string;
  /** e.g. http://127.0.0.1:7480 for Ceph RGW or MinIO; AWS when omitted */
  endpoint?: string;
  /** default us-east-1 */
  region?: string;
  /** path-style URLs (http://host/bucket/key); RGW and MinIO usually need it */
  forcePathStyle?: boolean;
  /** static credentials; the default AWS credential chain (env, profile, IMDS, ...) when omitted */
  credentials?: S3Credentials;
  /**
   * Object Lock retention given to every put that does not bring its own (the bucket must
   * have been created with Object Lock enabled). Omitted: no per-object retention (a
   * bucket's default retention still applies).
   */
  objectLock?: { mode: S3ObjectLockMode; retentionDays: number };
  /** multipart part size (and the single-PutObject threshold); at least 5 MiB; default 8 MiB */
  partSizeBytes?: number;
  /** parts uploaded at once; default 4 */
  partConcurrency?: number;
  /** TCP connect timeout; default 3000 ms */
  connectTimeoutMs?: number;
  /** socket idle timeout of a request; default 30000 ms */
  requestTimeoutMs?: number;
  /** attempts per request, with the SDK's back-off between them; default 3 */
  maxAttempts?: number;
  /** checkWritable gives up (unavailable) after this long; default 5000 ms */
  probeTimeoutMs?: number;
  /** a ready client (tests, custom middleware); the connection options above are then ignored */
  client?: S3Client;
  /** keys per ListObjectsV2 / ListObjectVersions page (1 to 1000); default 1000 */
  listPageSize?: number;
}

export interface S3PutOptions {
  contentType: string;
  /** this object's retention instead of the store's `objectLock` default; null: none */
  retention?: S3Retention | null;
  /** put the object under legal hold */
  legalHold?: boolean;
}

export interface S3PutResult extends BlobPutResult {
  etag: string;
  /** set on a versioned bucket */
  versionId?: string;
  retention?: S3Retention;
}

/** A delete refused because the object is under S3 Object Lock (retention or legal hold). */
export class BlobLockedError extends Error {
  constructor(
    readonly key: string,
    readonly protection: S3ObjectProtection,
    readonly cause?: unknown,
  ) {
    const why: string[] = [];
    let until = '';
    if (protection.retention) {
      why.push(`${protection.retention.mode} retention until ${protection.retention.retainUntil.toISOString()}`);
      until = ` before ${protection.retention.retainUntil.toISOString()}`;
    }
    if (protection.legalHold) {
      why.push('a legal hold');
      until = ' while the legal hold is on';
    }
    super(
      `Blob ${JSON.stringify(key)} is write-once (S3 Object Lock: ${why.join(' and ') || 'locked'}); it cannot be deleted${until}`,
    );
    this.name = 'BlobLockedError';
  }
}

const MIB = 1024 * 1024;
const MIN_PART = 5 * MIB;
/** HTTP statuses and error names that mean "the store cannot serve us right now" */
const UNAVAILABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);

type SdkError = Error & {
  $metadata?: { httpStatusCode?: number };
  Code?: string;
  code?: string;
};

function statusOf(e: unknown): number | undefined {
  return (e as SdkError | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(e: unknown): string | undefined {
  const err = e as SdkError | undefined;
  return err?.Code ?? err?.name;
}

function isNotFound(e: unknown): boolean {
  const n = nameOf(e);
  return n === 'NoSuchKey' || n === 'NotFound' || statusOf(e) === 404;
}

function isUnavailable(e: unknown): boolean {
  const err = e as SdkError | undefined;
  if (!err) return false;
  const status = statusOf(e);
  if (status !== undefined && UNAVAILABLE_STATUS.has(status)) return true;
  if (status === undefined) {
    // no HTTP answer at all: connection refused, DNS, timeout, aborted probe. An error that
    // went through the SDK's retries without an HTTP status is always such a failure (its
    // code can be lost: the SDK wraps errors of another realm, as in jest, in a bare Error)
    if (err.$metadata) return true;
    if (err.code && NETWORK_CODES.has(err.code)) return true;
    if (err.name && NETWORK_CODES.has(err.name)) return true;
    const causeCode = (err.cause as SdkError | undefined)?.code;
    if (causeCode && NETWORK_CODES.has(causeCode)) return true;
  }
  return ['ServiceUnavailable', 'SlowDown', 'InternalError', 'RequestTimeout'].includes(
    nameOf(e) ?? '',
  );
}

/** the errno-like code of a transport failure, also when only its message carries it */
function codeOf(e: unknown): string | undefined {
  const err = e as SdkError | undefined;
  return err?.code ?? /\b(E[A-Z]{3,}|TimeoutError)\b/.exec(err?.message ?? '')?.[1] ?? nameOf(e);
}

function errText(e: unknown): string {
  const err = e as SdkError | undefined;
  const status = statusOf(e);
  const name = nameOf(e) ?? err?.code ?? 'Error';
  const msg = err?.message && err.message !== name ? `: ${err.message}` : '';
  return `${name}${status ? ` (HTTP ${status})` : ''}${msg}`;
}

function toIterable(body: BlobBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return [body];
  return body as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

function md5(buf: Buffer): Buffer {
  return createHash('md5').update(buf).digest();
}

/**
 * Whether the store's ETag is the MD5 of the object's bytes: not for objects encrypted with
 * SSE-KMS (AWS: "aws:kms", "aws:kms:dsse") or customer keys (SSE-C). Their integrity rests
 * on Content-MD5 and the signed payload hash, which the store checked on receipt.
 */
function etagIsMd5(res: { ServerSideEncryption?: string; SSECustomerAlgorithm?: string }): boolean {
  return !(res.ServerSideEncryption?.startsWith('aws:kms') || res.SSECustomerAlgorithm);
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '').toLowerCase();
}

/** Validate a key prefix: '' or key segments followed by '/'. */
export function validateS3Prefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) {
    throw new InvalidBlobKeyError(prefix, "an S3 key prefix must be empty or end with '/'");
  }
  validateBlobKey(prefix.slice(0, -1));
}

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  readonly partSizeBytes: number;
  readonly partConcurrency: number;
  readonly objectLock?: { mode: S3ObjectLockMode; retentionDays: number };
  private readonly probeTimeoutMs: number;
  private readonly ownsClient: boolean;
  private readonly listPageSize: number;

  constructor(options: S3BlobStoreOptions) {
    if (!options.bucket) throw new Error('S3BlobStore: bucket is required');
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    validateS3Prefix(this.prefix);
    this.partSizeBytes = options.partSizeBytes ?? 8 * MIB;
    if (this.partSizeBytes < MIN_PART) {
      throw new Error(`S3BlobStore: partSizeBytes must be at least ${MIN_PART} (S3's minimum part size)`);
    }
    this.partConcurrency = Math.max(1, options.partConcurrency ?? 4);
    if (options.objectLock) {
      const { mode, retentionDays } = options.objectLock;
      if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') {
        throw new Error(`S3BlobStore: objectLock.mode must be GOVERNANCE or COMPLIANCE, not ${JSON.stringify(mode)}`);
      }
      if (!(retentionDays > 0)) throw new Error('S3BlobStore: objectLock.retentionDays must be positive');
    }
    this.objectLock = options.objectLock;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5000;
    this.listPageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000));
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      new S3Client(S3BlobStore.clientConfig(options));
  }

  /** The S3Client configuration the store uses for these options. */
  static clientConfig(options: S3BlobStoreOptions): S3ClientConfig {
    return {
      region: options.region ?? 'us-east-1',
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts ?? 3,
      // the SDK's default trailing CRC checksums need chunked uploads that S3-compatible
      // stores such as Ceph RGW 16 refuse (MissingContentLength); Content-MD5 is sent instead
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 3000,
        // socketTimeout is the inactivity timeout; the handler's requestTimeout only warns
        // unless throwOnRequestTimeout is set (@smithy/node-http-handler 4.14)
        socketTimeout: options.requestTimeoutMs ?? 30000,
      },
    };
  }

  /** the S3 object key of a blob key */
  objectKey(key: string): string {
    validateBlobKey(key);
    return `${this.prefix}${key}`;
  }

  /** where a key lives, for messages: s3://bucket/prefix/key */
  location(key = ''): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  private unavailable(action: string, key: string, e: unknown): unknown {
    if (e instanceof StorageUnavailableError || e instanceof BlobLockedError) return e;
    if (isUnavailable(e)) {
      return new StorageUnavailableError(
        `Recording storage unavailable: cannot ${action} ${this.location(key)}: ${errText(e)}`,
        this.location(key),
        codeOf(e),
        e,
      );
    }
    return e;
  }

  private retentionFor(options: S3PutOptions): S3Retention | undefined {
    if (options.retention !== undefined) return options.retention ?? undefined;
    if (!this.objectLock) return undefined;
    return {
      mode: this.objectLock.mode,
      retainUntil: new Date(Date.now() + this.objectLock.retentionDays * 86_400_000),
    };
  }

  async put(key: string, body: BlobBody, options: S3PutOptions): Promise<S3PutResult> {
    const Key = this.objectKey(key);
    const retention = this.retentionFor(options);
    const lockParams = {
      ...(retention
        ? { ObjectLockMode: retention.mode as ObjectLockMode, ObjectLockRetainUntilDate: retention.retainUntil }
        : {}),
      ...(options.legalHold ? { ObjectLockLegalHoldStatus: ObjectLockLegalHoldStatus.ON } : {}),
    };
    const sha = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const parts: { PartNumber: number; ETag: string; md5: Buffer }[] = [];
    const inFlight = new Set<Promise<void>>();
    let nextPart = 1;
    let failure: unknown;

    const uploadPart = (partNumber: number, data: Buffer) => {
      const digest = md5(data);
      const p = this.client
        .send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: data,
            ContentLength: data.length,
            ContentMD5: digest.toString('base64'),
          }),
        )
        .then(res => {
          if (etagIsMd5(res) && unquote(res.ETag) !== digest.toString('hex')) {
            throw new Error(
              `S3 part ${partNumber} of ${this.location(key)}: the store's ETag ${res.ETag} is not the MD5 of the bytes sent`,
            );
          }
          parts.push({ PartNumber: partNumber, ETag: res.ETag!, md5: digest });
        })
        .catch(e => {
          failure ??= e;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };

    let stage = 'upload';
    try {
      for await (const chunk of toIterable(body)) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        sha.update(buf);
        size += buf.length;
        pending.push(buf);
        pendingBytes += buf.length;
        while (pendingBytes >= this.partSizeBytes) {
          if (failure) throw failure;
          // concat copies: the part no longer shares memory with the caller's chunks
          const all = Buffer.concat(pending);
          const part = all.subarray(0, this.partSizeBytes);
          const rest = all.subarray(this.partSizeBytes);
          pending = rest.length ? [rest] : [];
          pendingBytes = rest.length;
          if (!uploadId) {
            stage = 'start a multipart upload of';
            const created = await this.client.send(
              new CreateMultipartUploadCommand({
                Bucket: this.bucket,
                Key,
                ContentType: options.contentType,
                ...lockParams,
              }),
            );
            uploadId = created.UploadId;
            stage = 'upload a part of';
          }
          uploadPart(nextPart++, part);
          // bounded memory: wait while the maximum number of parts is in flight
          while (inFlight.size >= this.partConcurrency) await Promise.race(inFlight);
        }
      }
      const rest = Buffer.concat(pending);
      pending = [];
      if (!uploadId) {
        stage = 'upload';
        const digest = md5(rest);
        const res = await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: rest,
            ContentLength: rest.length,
            ContentMD5: digest.toString('base64'),
            ContentType: options.contentType,
            ...lockParams,
          }),
        );
        if (etagIsMd5(res) && unquote(res.ETag) !== digest.toString('hex')) {
          throw new Error(
            `S3 object ${this.location(key)}: the store's ETag ${res.ETag} is not the MD5 of the bytes sent`,
          );
        }
        return { key, size, sha256: sha.digest('hex'), etag: unquote(res.ETag), versionId: res.VersionId, retention };
      }
      if (rest.length > 0) uploadPart(nextPart++, rest);
      while (inFlight.size > 0) await Promise.race(inFlight);
      if (failure) throw failure;
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      stage = 'complete the multipart upload of';
      const done = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) },
        }),
      );
      uploadId = undefined; // completed: nothing to abort any more
      const expected = `${md5(Buffer.concat(parts.map(p => p.md5))).toString('hex')}-${parts.length}`;
      let etag = unquote(done.ETag);
      if (!etag) {
        // Ceph RGW 16 answers CompleteMultipartUpload with an empty ETag: ask for the object's
        stage = 'verify the multipart upload of';
        const head = await this.client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key, VersionId: done.VersionId }),
        );
        etag = unquote(head.ETag);
        if (head.ContentLength !== size) {
          throw new Error(
            `S3 object ${this.location(key)}: the store holds ${head.ContentLength} bytes after the multipart upload, not ${size}`,
          );
        }
      }
      if (etagIsMd5(done) && etag !== expected) {
        throw new Error(
          `S3 object ${this.location(key)}: the store's ETag ${etag} after the multipart upload is not ${expected} (the MD5 of the parts' MD5s)`,
        );
      }
      // Ceph RGW 16 ignores the Object Lock headers of CreateMultipartUpload: set the
      // completed version's retention and legal hold explicitly (harmless where they took)
      if (retention) {
        stage = 'set the retention of';
        await this.client.send(
          new PutObjectRetentionCommand({
            Bucket: this.bucket,
            Key,
            VersionId: done.VersionId,
            Retention: { Mode: retention.mode as ObjectLockRetentionMode, RetainUntilDate: retention.retainUntil },
          }),
        );
      }
      if (options.legalHold) {
        stage = 'set the legal hold of';
        await this.client.send(
          new PutObjectLegalHoldCommand({
            Bucket: this.bucket,
            Key,
            VersionId: done.VersionId,
            LegalHold: { Status: ObjectLockLegalHoldStatus.ON },
          }),
        );
      }
      return { key, size, sha256: sha.digest('hex'), etag, versionId: done.VersionId, retention };
    } catch (e) {
      // let the parts still in flight settle before aborting, or the abort races them
      await Promise.allSettled([...inFlight]);
      if (uploadId) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw this.unavailable(stage, key, e);
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const Key = this.objectKey(key);
    if (range && (range.start < 0 || (range.end !== undefined && range.end < range.start))) {
      throw new RangeError(`Range ${range.start}-${range.end ?? ''} is not a valid range of blob ${key}`);
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      );
      const stream = res.Body as Readable;
      if (range && range.end !== undefined) {
        // S3 shortens a range that runs past the end; the blob store contract refuses it
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.ContentRange ?? '');
        if (!m || Number(m[2]) !== range.end) {
          stream.destroy();
          throw new RangeError(
            `Range ${range.start}-${range.end} is outside blob ${key}${m && m[3] !== '*' ? ` of ${m[3]} bytes` : ''}`,
          );
        }
      }
      return stream;
    } catch (e) {
      if (e instanceof RangeError) throw e;
      if (nameOf(e) === 'InvalidRange' || statusOf(e) === 416) {
        throw new RangeError(`Range ${range?.start}-${range?.end ?? ''} is outside blob ${key}`);
      }
      if (isNotFound(e)) throw new BlobNotFoundError(key);
      throw this.unavailable('read', key, e);
    }
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    const Key = this.objectKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        key,
        size: res.ContentLength ?? 0,
        modifiedAt: res.LastModified ?? new Date(0),
        contentType: res.ContentType,
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.unavailable('read the metadata of', key, e);
    }
  }

  /** The current version's Object Lock state (retention in the past counts as none). */
  async protection(key: string, versionId?: string): Promise<S3ObjectProtection> {
    const Key = this.objectKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key, VersionId: versionId }));
      const until = res.ObjectLockRetainUntilDate;
      return {
        retention:
          res.ObjectLockMode && until && until.getTime() > Date.now()
            ? { mode: res.ObjectLockMode as S3ObjectLockMode, retainUntil: until }
            : undefined,
        legalHold: res.ObjectLockLegalHoldStatus === ObjectLockLegalHoldStatus.ON,
      };
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(key);
      throw this.unavailable('read the lock state of', key, e);
    }
  }

  /** Put the current version under legal hold or release it (the bucket needs Object Lock). */
  async setLegalHold(key: string, on: boolean): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(
        new PutObjectLegalHoldCommand({
          Bucket: this.bucket,
          Key,
          LegalHold: { Status: on ? ObjectLockLegalHoldStatus.ON : ObjectLockLegalHoldStatus.OFF },
        }),
      );
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(key);
      throw this.unavailable('set the legal hold of', key, e);
    }
  }

  /**
   * Lengthens the Object Lock retention of the key's current version to `retainUntil`
   * (S3 lets a retention be extended, never shortened: a later date only). A version
   * whose retention already reaches that date is left as it is; one without retention
   * gets `mode` (default: the store's `objectLock.mode`). Returns the retention in force
   * afterwards and whether it was changed.
   */
  async extendRetention(
    key: string,
    retainUntil: Date,
    mode?: S3ObjectLockMode,
  ): Promise<{ extended: boolean; retention: S3Retention }> {
    const current = await this.protection(key);
    if (current.retention && current.retention.retainUntil.getTime() >= retainUntil.getTime()) {
      return { extended: false, retention: current.retention };
    }
    const Mode = current.retention?.mode ?? mode ?? this.objectLock?.mode;
    if (!Mode) {
      throw new Error(`S3BlobStore: no Object Lock mode to extend the retention of ${this.location(key)} with`);
    }
    const Key = this.objectKey(key);
    try {
      await this.client.send(
        new PutObjectRetentionCommand({
          Bucket: this.bucket,
          Key,
          Retention: { Mode: Mode as ObjectLockRetentionMode, RetainUntilDate: retainUntil },
        }),
      );
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(key);
      throw this.unavailable('extend the retention of', key, e);
    }
    return { extended: true, retention: { mode: Mode, retainUntil } };
  }

  /** every version and delete marker of exactly this key */
  private async versions(Key: string): Promise<{ VersionId?: string; marker: boolean }[]> {
    const out: { VersionId?: string; marker: boolean }[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const res = await this.client.send(
        new ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: Key,
          KeyMarker,
          VersionIdMarker,
          MaxKeys: this.listPageSize,
        }),
      );
      for (const v of res.Versions ?? []) if (v.Key === Key) out.push({ VersionId: v.VersionId, marker: false });
      for (const m of res.DeleteMarkers ?? []) if (m.Key === Key) out.push({ VersionId: m.VersionId, marker: true });
      if (!res.IsTruncated) return out;
      KeyMarker = res.NextKeyMarker;
      VersionIdMarker = res.NextVersionIdMarker;
    }
  }

  async delete(key: string): Promise<boolean> {
    const Key = this.objectKey(key);
    try {
      const versions = await this.versions(Key);
      const data = versions.filter(v => !v.marker);
      if (data.length === 0 && versions.length === 0) return false;
      // refuse before deleting anything: no partial delete of a key with several versions
      for (const v of data) {
        const protection = await this.protection(key, v.VersionId ?? undefined);
        if (protection.retention || protection.legalHold) throw new BlobLockedError(key, protection);
      }
      const existed = await this.stat(key).then(s => s !== undefined);
      for (const v of [...data, ...versions.filter(x => x.marker)]) {
        try {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key, VersionId: v.VersionId }));
        } catch (e) {
          if (isLockRefusal(e)) {
            const protection = await this.protection(key, v.VersionId).catch(() => ({ legalHold: false }));
            throw new BlobLockedError(key, protection, e);
          }
          throw e;
        }
      }
      return existed;
    } catch (e) {
      if (e instanceof BlobLockedError || e instanceof BlobNotFoundError) throw e;
      throw this.unavailable('delete', key, e);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let ContinuationToken: string | undefined;
    try {
      for (;;) {
        const res = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${this.prefix}${prefix}`,
            ContinuationToken,
            MaxKeys: this.listPageSize,
          }),
        );
        for (const o of res.Contents ?? []) {
          if (o.Key?.startsWith(this.prefix)) out.push(o.Key.slice(this.prefix.length));
        }
        if (!res.IsTruncated) break;
        ContinuationToken = res.NextContinuationToken;
      }
    } catch (e) {
      throw this.unavailable('list', prefix, e);
    }
    return out.sort();
  }

  async checkWritable(): Promise<StorageHealth> {
    const Key = `${this.prefix}.probe-${randomBytes(6).toString('hex')}`;
    const abortSignal = AbortSignal.timeout(this.probeTimeoutMs);
    try {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ContentType: 'application/octet-stream' }),
        { abortSignal },
      );
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: created.UploadId }),
        { abortSignal },
      );
      return { ok: true };
    } catch (e) {
      const timedOut = abortSignal.aborted;
      const detail = timedOut ? `no answer within ${this.probeTimeoutMs} ms` : errText(e);
      return {
        ok: false,
        error: new StorageUnavailableError(
          `Recording storage unavailable: probe of ${this.location()} failed: ${detail}`,
          this.location(),
          timedOut ? 'ETIMEDOUT' : codeOf(e),
          e,
        ),
      };
    }
  }

  /**
   * Start-up check of the configuration: the bucket exists and these credentials reach it,
   * and, when Object Lock retention is configured, the bucket has Object Lock enabled (else
   * every put would fail). Throws an Error that says what to change.
   */
  async verifyBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) throw new Error(`S3 bucket ${JSON.stringify(this.bucket)} does not exist (${this.location()})`);
      if (status === 403) {
        throw new Error(`S3 bucket ${JSON.stringify(this.bucket)}: access denied to these credentials (${errText(e)})`);
      }
      throw this.unavailable('reach the bucket', '', e);
    }
    if (!this.objectLock) return;
    let enabled: string | undefined;
    try {
      const res = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }));
      enabled = res.ObjectLockConfiguration?.ObjectLockEnabled;
    } catch (e) {
      if (nameOf(e) !== 'ObjectLockConfigurationNotFoundError' && statusOf(e) !== 404) {
        throw this.unavailable('read the Object Lock configuration of', '', e);
      }
    }
    if (enabled !== 'Enabled') {
      throw new Error(
        `S3 bucket ${JSON.stringify(this.bucket)} has no Object Lock, but ${this.objectLock.mode} retention is configured: ` +
          'create the bucket with Object Lock enabled, or remove voiceRecording.storage.s3.objectLock',
      );
    }
  }

  /** close the HTTP connections of a client the store created */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }
}

function isLockRefusal(e: unknown): boolean {
  return statusOf(e) === 403 || nameOf(e) === 'AccessDenied';
}
