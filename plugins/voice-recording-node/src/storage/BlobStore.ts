/*
 * Blob storage for finished recordings.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as nodePath from 'node:path';
import { Readable } from 'node:stream';
import { FileCalls, WritableFile, asyncFileCalls, blockingFileCalls } from './fileCalls';

export interface BlobPutResult {
  key: string;
  /** bytes stored */
  size: number;
  /** hex SHA-256 of the stored bytes */
  sha256: string;
}

export interface BlobStat {
  key: string;
  size: number;
  modifiedAt: Date;
  contentType?: string;
}

export interface BlobRange {
  /** first byte, inclusive */
  start: number;
  /** last byte, inclusive (HTTP Range semantics); default: end of blob */
  end?: number;
}

export type BlobBody = Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Object Lock (WORM) retention of one stored blob: honoured by S3BlobStore on a bucket with
 * Object Lock, ignored by stores without (local files). See objectLock.ts.
 */
export interface BlobRetention {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  retainUntil: Date;
}

export interface BlobPutOptions {
  contentType: string;
  /**
   * Object Lock retention of this blob; null: none (a file that may be deleted or rebuilt);
   * absent: the store's default (`objectLock.retentionDays` from the put). Build it with
   * `objectLockFor` (objectLock.ts).
   */
  retention?: BlobRetention | null;
  /** put the blob under legal hold (Object Lock stores only) */
  legalHold?: boolean;
}

export interface BlobStore {
  put(key: string, body: BlobBody, options: BlobPutOptions): Promise<BlobPutResult>;
  get(key: string, range?: BlobRange): Promise<Readable>;
  /** undefined when the blob does not exist */
  stat(key: string): Promise<BlobStat | undefined>;
  /** true when a blob was deleted, false when it did not exist */
  delete(key: string): Promise<boolean>;
  /** keys starting with `prefix`, sorted */
  list(prefix: string): Promise<string[]>;
  /** probe used to refuse new calls (503) when storage is down */
  checkWritable(): Promise<StorageHealth>;
}

export type StorageHealth = { ok: true } | { ok: false; error: StorageUnavailableError };

/** Storage cannot accept writes (disk full, permissions, read-only, missing mount). */
export class StorageUnavailableError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | undefined,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`Invalid blob key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidBlobKeyError';
  }
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`Blob ${JSON.stringify(key)} does not exist`);
    this.name = 'BlobNotFoundError';
  }
}

/** errno codes meaning "this storage can't take writes right now" */
const UNAVAILABLE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT', 'EIO']);

const TEMP_MARKER = '.tmp-';
const META_SUFFIX = '.meta.json';
/** bytes gathered from a body's chunks before they are written (one system call) */
const WRITE_BATCH_BYTES = 64 * 1024;
const KEY_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=@+-]*$/;

/**
 * Keys are relative, '/'-separated, each segment made of letters, digits and
 * `_ . = @ + -`, not starting with a dot (so no `.` / `..` traversal and no
 * hidden files), at most 512 characters.
 */
export function validateBlobKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidBlobKeyError(String(key), 'empty');
  if (key.length > 512) throw new InvalidBlobKeyError(key, 'longer than 512 characters');
  for (const segment of key.split('/')) {
    if (!KEY_SEGMENT.test(segment)) {
      throw new InvalidBlobKeyError(
        key,
        `segment ${JSON.stringify(segment)} must match ${KEY_SEGMENT} (no empty, '.'-leading or traversal segments)`,
      );
    }
    if (segment.includes(TEMP_MARKER) || segment.endsWith(META_SUFFIX)) {
      throw new InvalidBlobKeyError(key, `segment ${JSON.stringify(segment)} uses a reserved name`);
    }
  }
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function toBody(body: BlobBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return [body];
  return body as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export interface LocalFileBlobStoreOptions {
  /** refuse writes (checkWritable) when fewer bytes than this are free; default 64 MiB */
  minFreeBytes?: number;
  /**
   * Make the file calls synchronously on the calling thread instead of on libuv's pool
   * (see fileCalls.ts). Only for a worker thread that does nothing else, such as an Opus
   * encoder thread: on an event loop it would block everything else. Default false.
   */
  blockingIo?: boolean;
}

/**
 * Blobs as files under a root directory. Writes are atomic: temp file in the
 * target directory, fsync, rename, fsync of the directory; a reader never sees a
 * partial blob and a crash leaves either the old state or the complete blob.
 */
export class LocalFileBlobStore implements BlobStore {
  readonly root: string;
  readonly minFreeBytes: number;
  readonly blockingIo: boolean;
  private readonly files: FileCalls;

  constructor(root: string, options: LocalFileBlobStoreOptions = {}) {
    this.root = nodePath.resolve(root);
    this.minFreeBytes = options.minFreeBytes ?? 64 * 1024 * 1024;
    this.blockingIo = options.blockingIo ?? false;
    this.files = this.blockingIo ? blockingFileCalls : asyncFileCalls;
  }

  /** absolute path of a key, guaranteed inside the root */
  resolveKey(key: string): string {
    validateBlobKey(key);
    const p = nodePath.resolve(this.root, ...key.split('/'));
    if (!p.startsWith(this.root + nodePath.sep)) throw new InvalidBlobKeyError(key, 'escapes the storage root');
    return p;
  }

  private unavailable(action: string, target: string, e: unknown): unknown {
    const code = errCode(e);
    if (code && UNAVAILABLE_CODES.has(code)) {
      const why: Record<string, string> = {
        ENOSPC: 'the disk is full',
        EDQUOT: 'the disk quota is exhausted',
        EACCES: 'permission denied',
        EPERM: 'operation not permitted',
        EROFS: 'the file system is read-only',
        ENOTDIR: 'a path component is not a directory',
        ENOENT: 'the storage directory does not exist',
        EIO: 'I/O error',
      };
      return new StorageUnavailableError(
        `Recording storage unavailable: cannot ${action} ${target}: ${why[code]} (${code})`,
        target,
        code,
        e,
      );
    }
    return e;
  }

  async put(key: string, body: BlobBody, options: { contentType: string }): Promise<BlobPutResult> {
    const target = this.resolveKey(key);
    const dir = nodePath.dirname(target);
    const tmp = nodePath.join(dir, `${nodePath.basename(target)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    let handle: WritableFile | undefined;
    const files = this.files;
    let stage = `create directory`;
    let stagePath = dir;
    try {
      // the directory exists almost always (the day's folder of many recordings): the
      // file is created at once, and the directories (and the root) only when missing
      stage = 'create temporary file';
      stagePath = tmp;
      handle = await files.open(tmp, 'wx', 0o640).catch(async (e: unknown) => {
        const code = errCode(e);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
        stage = 'create directory';
        stagePath = dir;
        await this.ensureRoot();
        await mkdirs(dir, files);
        stage = 'create temporary file';
        stagePath = tmp;
        return files.open(tmp, 'wx', 0o640);
      });
      stage = 'write';
      // small chunks (a recording renders second by second) are copied together and
      // written WRITE_BATCH_BYTES at a time: a few system calls per recording, not dozens
      // (copied: a body may reuse a chunk's memory once the next one is asked for)
      const file = handle;
      const writeAll = async (buf: Buffer) => {
        let off = 0;
        while (off < buf.length) {
          off += await file.write(buf, off, buf.length - off);
        }
      };
      let batch: Buffer | undefined;
      let batched = 0;
      // one buffer: written as it is
      const single = Buffer.isBuffer(body) || body instanceof Uint8Array;
      for await (const chunk of toBody(body)) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        hash.update(buf);
        size += buf.length;
        if (batched + buf.length > WRITE_BATCH_BYTES && batched) {
          await writeAll(batch!.subarray(0, batched));
          batched = 0;
        }
        if (single || buf.length >= WRITE_BATCH_BYTES) {
          await writeAll(buf);
          continue;
        }
        batch ??= Buffer.allocUnsafe(WRITE_BATCH_BYTES);
        buf.copy(batch, batched);
        batched += buf.length;
      }
      if (batched) await writeAll(batch!.subarray(0, batched));
      stage = 'fsync';
      await handle.sync();
      await handle.close();
      handle = undefined;
      stage = 'write metadata of';
      await files.writeFile(`${target}${META_SUFFIX}`, JSON.stringify({ contentType: options.contentType }));
      stage = 'rename into place';
      stagePath = target;
      await files.rename(tmp, target);
      stage = 'fsync directory';
      stagePath = dir;
      await files.syncDirectory(dir);
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await files.removeIfExists(tmp).catch(() => undefined);
      throw this.unavailable(stage, stagePath, e);
    }
    return { key, size, sha256: hash.digest('hex') };
  }

  private async ensureRoot(): Promise<void> {
    try {
      await mkdirs(this.root, this.files);
    } catch (e) {
      throw this.unavailable('create storage root', this.root, e);
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const p = this.resolveKey(key);
    // only the size is needed here (not the metadata file that stat() reads too)
    const st = await this.files.stat(p).catch((e: unknown) => {
      if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return undefined;
      throw e;
    });
    if (!st?.isFile()) throw new BlobNotFoundError(key);
    if (range) {
      const end = range.end ?? st.size - 1;
      if (range.start < 0 || range.start > end || end >= st.size) {
        throw new RangeError(`Range ${range.start}-${range.end ?? ''} is outside blob ${key} of ${st.size} bytes`);
      }
      return this.files.readStream(p, { start: range.start, end });
    }
    return this.files.readStream(p);
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    const p = this.resolveKey(key);
    try {
      const st = await this.files.stat(p);
      if (!st.isFile()) return undefined;
      let contentType: string | undefined;
      try {
        contentType = JSON.parse(await this.files.readFile(`${p}${META_SUFFIX}`)).contentType;
      } catch {
        contentType = undefined;
      }
      return { key, size: st.size, modifiedAt: st.mtime, contentType };
    } catch (e) {
      if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  async delete(key: string): Promise<boolean> {
    const p = this.resolveKey(key);
    await this.files.removeIfExists(`${p}${META_SUFFIX}`);
    try {
      await this.files.unlink(p);
      return true;
    } catch (e) {
      if (errCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await this.files.readdir(dir);
      } catch (e) {
        if (errCode(e) === 'ENOENT') return;
        throw e;
      }
      for (const ent of entries) {
        const key = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(nodePath.join(dir, ent.name), key);
        } else if (
          ent.isFile() &&
          key.startsWith(prefix) &&
          !ent.name.includes(TEMP_MARKER) &&
          !ent.name.endsWith(META_SUFFIX)
        ) {
          out.push(key);
        }
      }
    };
    await walk(this.root, '');
    return out.sort();
  }

  async checkWritable(): Promise<StorageHealth> {
    const probe = nodePath.join(this.root, `.probe${TEMP_MARKER}${randomBytes(6).toString('hex')}`);
    try {
      await this.ensureRoot();
      const h = await this.files.open(probe, 'wx');
      try {
        const b = Buffer.from('probe');
        await h.write(b, 0, b.length);
        await h.sync();
      } finally {
        await h.close();
        await this.files.removeIfExists(probe);
      }
      const free = await this.files.freeBytes(this.root);
      if (free < this.minFreeBytes) {
        return {
          ok: false,
          error: new StorageUnavailableError(
            `Recording storage unavailable: only ${free} bytes free in ${this.root} (minimum ${this.minFreeBytes})`,
            this.root,
            'ENOSPC',
          ),
        };
      }
      return { ok: true };
    } catch (e) {
      const err = e instanceof StorageUnavailableError ? e : this.unavailable('write a probe file in', this.root, e);
      if (err instanceof StorageUnavailableError) return { ok: false, error: err };
      return {
        ok: false,
        error: new StorageUnavailableError(
          `Recording storage unavailable: probe in ${this.root} failed: ${String(e)}`,
          this.root,
          errCode(e),
          e,
        ),
      };
    }
  }
}

/** fsync a directory so a rename/unlink in it is durable. */
export async function fsyncDir(dir: string, files: FileCalls = asyncFileCalls): Promise<void> {
  await files.syncDirectory(dir);
}

/**
 * mkdir -p that reports the real cause: Node's recursive mkdir turns some
 * failures (e.g. EROFS) into a misleading ENOENT.
 */
export async function mkdirs(dir: string, files: FileCalls = asyncFileCalls): Promise<void> {
  const missing: string[] = [];
  let cur = nodePath.resolve(dir);
  for (;;) {
    try {
      const st = await files.stat(cur);
      if (!st.isDirectory()) throw Object.assign(new Error(`${cur} is not a directory`), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if (errCode(e) !== 'ENOENT') throw e;
      missing.unshift(cur);
      const parent = nodePath.dirname(cur);
      if (parent === cur) break;
      cur = parent;
    }
  }
  for (const d of missing) {
    try {
      await files.mkdir(d);
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
    }
  }
}
