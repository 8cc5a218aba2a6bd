/*
 * A recorder's archive in front of the object store (issue 20, docs/object-storage.md,
 * "The recorder's upload queue"): a finished recording is written to a local staging
 * directory (durable and fast: a call never waits for the object store), and an upload
 * job copies it to the object store later, verifies it and only then deletes the local
 * copy. An object store outage therefore never blocks or loses a call: staged files wait
 * on the local disk and the jobs retry.
 *
 * Reads see one archive: a blob still staged is read from the local copy, otherwise from
 * the object store. Deletes remove both.
 *
 * Encryption at rest sits ABOVE this store (EncryptedBlobStore over StagingBlobStore): the
 * staged file is already ciphertext and is copied to the object store byte for byte, with
 * the same envelope and data key (docs/encryption.md).
 */
import { createHash } from 'node:crypto';
import * as nodePath from 'node:path';
import { Readable } from 'node:stream';
import {
  BlobBody,
  BlobNotFoundError,
  BlobPutOptions,
  BlobPutResult,
  BlobRange,
  BlobStat,
  BlobStore,
  LocalFileBlobStore,
  StorageHealth,
  fsyncDir,
} from './BlobStore';

/** What was staged: the key and the bytes' size and SHA-256 as written to the local disk. */
export interface StagedBlob {
  key: string;
  /** absent when found by the start-up scan */
  size?: number;
  sha256?: string;
  contentType: string;
  /** the put's Object Lock retention (absent: the object store's default; null: none) */
  retention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: string } | null;
  legalHold?: boolean;
}

/** The put options of a staged blob for its upload. */
export function uploadPutOptions(blob: Pick<StagedBlob, 'contentType' | 'retention' | 'legalHold'>): BlobPutOptions {
  return {
    contentType: blob.contentType,
    ...(blob.retention === null ? { retention: null } : {}),
    ...(blob.retention ? { retention: { mode: blob.retention.mode, retainUntil: new Date(blob.retention.retainUntil) } } : {}),
    ...(blob.legalHold ? { legalHold: true } : {}),
  };
}

/** The uploaded object does not hold the staged bytes (or the staged file changed). */
export class UploadVerificationError extends Error {
  constructor(
    message: string,
    /** true: the staged file itself is not what was staged (retrying cannot help) */
    readonly stagedFileCorrupt: boolean = false,
  ) {
    super(message);
    this.name = 'UploadVerificationError';
  }
}

export type UploadOutcome =
  /** copied, verified by a re-read, the local copy deleted */
  | { outcome: 'uploaded'; size: number; sha256: string; ms: number }
  /** nothing staged under the key (deleted, or uploaded by an earlier attempt) */
  | { outcome: 'not-staged' };

export interface StagingBlobStoreOptions {
  /** the staging directory (recorder.storage.archiveDir) */
  local: LocalFileBlobStore;
  /** the object store the staged blobs go to */
  remote: BlobStore;
  /**
   * Called once a blob is staged (durable on the local disk): enqueue its upload. A
   * rejection does not fail the put (the blob is safe locally): the key is kept in
   * `unqueued` and `onStaged` is tried again by `retryUnqueued()`.
   */
  onStaged?: (blob: StagedBlob) => Promise<void>;
}

async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

export class StagingBlobStore implements BlobStore {
  readonly local: LocalFileBlobStore;
  readonly remote: BlobStore;
  private readonly onStaged?: (blob: StagedBlob) => Promise<void>;
  /** staged keys and when they were staged (ms), for the queue's depth and age */
  private readonly staged = new Map<string, number>();
  /** staged keys whose onStaged (enqueue) failed */
  private readonly unqueuedKeys = new Map<string, StagedBlob>();
  /** per-key critical sections (the location update and the local delete of an upload) */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(options: StagingBlobStoreOptions) {
    this.local = options.local;
    this.remote = options.remote;
    this.onStaged = options.onStaged;
  }

  /**
   * Runs `fn` while no other `withKey` of the same key runs (in this process): the
   * recorder registers a conversation as staged and the upload clears that mark and
   * deletes the local copy, never interleaved.
   */
  async withKey<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /** Whether the key has a local copy waiting for its upload (a file check, not the index). */
  async isStaged(key: string): Promise<boolean> {
    return (await this.local.stat(key)) !== undefined;
  }

  async put(key: string, body: BlobBody, options: BlobPutOptions): Promise<BlobPutResult> {
    const stored = await this.local.put(key, body, { contentType: options.contentType });
    this.staged.set(key, Date.now());
    const blob: StagedBlob = {
      key,
      size: stored.size,
      sha256: stored.sha256,
      contentType: options.contentType,
      ...(options.retention === null ? { retention: null } : {}),
      ...(options.retention ? { retention: { mode: options.retention.mode, retainUntil: options.retention.retainUntil.toISOString() } } : {}),
      ...(options.legalHold ? { legalHold: true } : {}),
    };
    await this.enqueue(blob);
    return stored;
  }

  private async enqueue(blob: StagedBlob): Promise<boolean> {
    if (!this.onStaged) return true;
    try {
      await this.onStaged(blob);
      this.unqueuedKeys.delete(blob.key);
      return true;
    } catch {
      this.unqueuedKeys.set(blob.key, blob);
      return false;
    }
  }

  /** Staged keys whose upload could not be enqueued yet (e.g. the database was down). */
  get unqueued(): number {
    return this.unqueuedKeys.size;
  }

  /** Tries `onStaged` again for the keys whose enqueue failed; returns how many are left. */
  async retryUnqueued(): Promise<number> {
    for (const blob of [...this.unqueuedKeys.values()]) {
      if (!this.staged.has(blob.key)) {
        this.unqueuedKeys.delete(blob.key);
        continue;
      }
      if (!(await this.enqueue(blob))) break; // still failing: try the rest next time
    }
    return this.unqueuedKeys.size;
  }

  /**
   * The start-up scan: every blob in the staging directory (a crash between a put and
   * its enqueue, or jobs lost with a database restored from backup) is indexed and handed
   * to `onStaged` again (enqueue is a no-op for a key with an open job), without its size
   * and hash (the upload compares the object with the file as it is then). Returns the keys.
   */
  async scan(): Promise<string[]> {
    const keys = await this.local.list('');
    for (const key of keys) {
      const st = await this.local.stat(key);
      if (!st) continue;
      if (!this.staged.has(key)) this.staged.set(key, st.modifiedAt.getTime());
      await this.enqueue({ key, contentType: st.contentType ?? 'application/octet-stream' });
    }
    return keys;
  }

  /** How many blobs wait on the local disk, and the age of the oldest (seconds). */
  stagedStats(now = Date.now()): { staged: number; oldestAgeSeconds: number; unqueued: number } {
    let oldest = now;
    for (const at of this.staged.values()) oldest = Math.min(oldest, at);
    return {
      staged: this.staged.size,
      oldestAgeSeconds: this.staged.size ? Math.max(0, Math.round((now - oldest) / 1000)) : 0,
      unqueued: this.unqueuedKeys.size,
    };
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    try {
      return await this.local.get(key, range);
    } catch (e) {
      if (!(e instanceof BlobNotFoundError)) throw e;
    }
    return this.remote.get(key, range);
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    return (await this.local.stat(key)) ?? this.remote.stat(key);
  }

  /**
   * Deletes the staged copy, then the object (which may be refused: Object Lock; or fail
   * while the store is away: the caller tries again, the staged copy is gone already and
   * its upload job finds nothing to do).
   */
  async delete(key: string): Promise<boolean> {
    const local = await this.withKey(key, () => this.deleteLocal(key));
    const remote = await this.remote.delete(key);
    return local || remote;
  }

  private async deleteLocal(key: string): Promise<boolean> {
    const deleted = await this.local.delete(key);
    this.staged.delete(key);
    this.unqueuedKeys.delete(key);
    if (deleted) await fsyncDir(nodePath.dirname(this.local.resolveKey(key)));
    return deleted;
  }

  async list(prefix: string): Promise<string[]> {
    const [local, remote] = await Promise.all([this.local.list(prefix), this.remote.list(prefix)]);
    return [...new Set([...local, ...remote])].sort();
  }

  /**
   * The recorder's storage probe: only the staging directory (a call needs the local
   * disk; the object store may be away for a while, its uploads wait).
   */
  checkWritable(): Promise<StorageHealth> {
    return this.local.checkWritable();
  }

  /**
   * Uploads one staged blob: reads the local copy (checking it against `expected`, the
   * size and SHA-256 it was staged with, when given), puts it to the object store
   * (streamed), reads the object back and compares size and SHA-256, then, under the
   * key's lock, calls `onVerified` (e.g. the conversation's storage location) and
   * deletes the local copy (and fsyncs its directory). Any failure leaves the local copy.
   */
  async upload(
    key: string,
    options: {
      expected?: { size: number; sha256: string };
      /** the staged put's Object Lock options (content type: the staged file's) */
      putOptions?: Pick<StagedBlob, 'retention' | 'legalHold'>;
      onVerified?: () => Promise<void>;
    } = {},
  ): Promise<UploadOutcome> {
    const t0 = Date.now();
    const st = await this.local.stat(key);
    if (!st) {
      this.staged.delete(key);
      return { outcome: 'not-staged' };
    }
    if (!this.staged.has(key)) this.staged.set(key, st.modifiedAt.getTime());
    const where = `staged blob ${JSON.stringify(key)} (${this.local.resolveKey(key)})`;
    const localCopy = await hashStream(await this.local.get(key));
    const { expected } = options;
    if (expected && (expected.size !== localCopy.size || expected.sha256 !== localCopy.sha256)) {
      throw new UploadVerificationError(
        `${where} is not what was staged: ${localCopy.size} bytes, SHA-256 ${localCopy.sha256}; staged ${expected.size} bytes, SHA-256 ${expected.sha256}`,
        true,
      );
    }
    const sent = await this.remote.put(
      key,
      await this.local.get(key),
      uploadPutOptions({ contentType: st.contentType ?? 'application/octet-stream', ...options.putOptions }),
    );
    if (sent.size !== localCopy.size || sent.sha256 !== localCopy.sha256) {
      // the local file changed while it was read
      throw new UploadVerificationError(
        `${where}: the upload sent ${sent.size} bytes with SHA-256 ${sent.sha256}, the staged file has ${localCopy.size} bytes with SHA-256 ${localCopy.sha256}`,
      );
    }
    // The S3 store already proves the bytes it received (Content-MD5 and the ETag); the
    // re-read proves what it now serves under the key, whatever sits in between
    // (docs/object-storage.md, "Verification").
    let stored: { size: number; sha256: string };
    try {
      stored = await hashStream(await this.remote.get(key));
    } catch (e) {
      if (e instanceof BlobNotFoundError) {
        throw new UploadVerificationError(`${where}: the object store does not have the object just uploaded`);
      }
      throw e;
    }
    if (stored.size !== localCopy.size || stored.sha256 !== localCopy.sha256) {
      throw new UploadVerificationError(
        `${where}: the object store holds ${stored.size} bytes with SHA-256 ${stored.sha256}, expected ${localCopy.size} bytes with SHA-256 ${localCopy.sha256}; the local copy is kept`,
      );
    }
    const kept = await this.withKey(key, async () => {
      if (!(await this.local.stat(key))) return false;
      await options.onVerified?.();
      await this.deleteLocal(key);
      return true;
    });
    if (!kept) {
      // deleted while it was being uploaded (e.g. an interim WAV replaced by its Opus
      // file): the object just made would outlive it
      await this.remote.delete(key);
      return { outcome: 'not-staged' };
    }
    return { outcome: 'uploaded', size: localCopy.size, sha256: localCopy.sha256, ms: Date.now() - t0 };
  }
}
