/*
 * Encryption at rest for the recording archive (docs/encryption.md): a BlobStore that
 * encrypts what it stores with AES-256-GCM in fixed-size segments, so that a Range read
 * fetches and decrypts only the segments it needs.
 *
 * File layout: a fixed-size header (HEADER_BYTES) then the segments. Segment i holds
 * `segmentSize` plaintext bytes (the last one 0..segmentSize) as ciphertext ‖ 16-byte tag,
 * nonce = file nonce (8 random bytes) ‖ uint32be(i), AAD = uint32be(i) ‖ last flag (1/0):
 * segments cannot be reordered, dropped or the file cut at a segment boundary without
 * failing authentication. The plaintext length follows from the stored length.
 *
 * Each file has its own random 32-byte data key, wrapped by a key-encryption key named
 * by its key id in the header (KeyEncryptionKeys). Rotating keys rewrites only the header
 * (rewrapDataKeys). A file without the magic is a legacy plain file and is read as it is.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import {
  BlobBody,
  BlobPutOptions,
  BlobNotFoundError,
  BlobPutResult,
  BlobRange,
  BlobStat,
  BlobStore,
  LocalFileBlobStore,
  StorageHealth,
} from './BlobStore';
import { EncryptionKeyError, KeyEncryptionKeys, validateKeyId } from './KeyEncryptionKeys';

export const ENCRYPTION_MAGIC = Buffer.from('MVRENC', 'ascii');
export const ENCRYPTION_VERSION = 1;
/** algorithm 1: AES-256-GCM segments, nonce = file nonce ‖ uint32be(index) */
export const ENCRYPTION_ALGORITHM_AES256GCM_SEGMENTS = 1;
export const HEADER_BYTES = 512;
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
export const TAG_BYTES = 16;
export const MAX_KEY_ID_BYTES = 64;
export const MAX_WRAPPED_KEY_BYTES = 384;
/** where the key-check blobs live (one per key id) */
export const KEY_CHECK_PREFIX = '_encryption/key-check/';

// header field offsets (docs/encryption.md, "Envelope format")
const OFF_VERSION = 6;
const OFF_ALGORITHM = 7;
const OFF_HEADER_LENGTH = 8;
const OFF_SEGMENT_SIZE = 12;
const OFF_FILE_NONCE = 16;
const OFF_KEY_ID_LENGTH = 24;
const OFF_KEY_ID = 25;
const OFF_WRAPPED_LENGTH = OFF_KEY_ID + MAX_KEY_ID_BYTES; // 89
const OFF_WRAPPED = OFF_WRAPPED_LENGTH + 2; // 91
// 91 + 384 = 475 .. 511 reserved (zero)

/** A stored file's envelope header. */
export interface EnvelopeHeader {
  segmentSize: number;
  /** 8 random bytes, the first part of every segment nonce */
  fileNonce: Buffer;
  keyId: string;
  wrappedKey: Buffer;
}

/** The file is encrypted but cannot be read: altered, truncated or a bad header. */
export class EncryptedBlobError extends Error {
  constructor(readonly key: string, message: string) {
    super(`Encrypted blob ${JSON.stringify(key)}: ${message}`);
    this.name = 'EncryptedBlobError';
  }
}

/** The bytes bound to the wrapped data key: magic..file nonce (24 bytes). */
function wrapContext(header: Buffer): Buffer {
  return Buffer.from(header.subarray(0, OFF_KEY_ID_LENGTH));
}

export function encodeHeader(h: EnvelopeHeader): Buffer {
  validateKeyId(h.keyId);
  if (h.fileNonce.length !== 8) throw new Error('file nonce must be 8 bytes');
  if (h.wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
    throw new EncryptionKeyError(
      `The data key wrapped by ${JSON.stringify(h.keyId)} has ${h.wrappedKey.length} bytes, more than the header's ${MAX_WRAPPED_KEY_BYTES}`,
      h.keyId,
    );
  }
  const b = Buffer.alloc(HEADER_BYTES);
  ENCRYPTION_MAGIC.copy(b, 0);
  b[OFF_VERSION] = ENCRYPTION_VERSION;
  b[OFF_ALGORITHM] = ENCRYPTION_ALGORITHM_AES256GCM_SEGMENTS;
  b.writeUInt32BE(HEADER_BYTES, OFF_HEADER_LENGTH);
  b.writeUInt32BE(h.segmentSize, OFF_SEGMENT_SIZE);
  h.fileNonce.copy(b, OFF_FILE_NONCE);
  const id = Buffer.from(h.keyId, 'ascii');
  b[OFF_KEY_ID_LENGTH] = id.length;
  id.copy(b, OFF_KEY_ID);
  b.writeUInt16BE(h.wrappedKey.length, OFF_WRAPPED_LENGTH);
  h.wrappedKey.copy(b, OFF_WRAPPED);
  return b;
}

/** true when the bytes start with the envelope magic */
export function isEncryptedHeader(prefix: Buffer): boolean {
  return prefix.length >= ENCRYPTION_MAGIC.length && prefix.subarray(0, ENCRYPTION_MAGIC.length).equals(ENCRYPTION_MAGIC);
}

export function decodeHeader(key: string, b: Buffer): EnvelopeHeader {
  if (b.length < HEADER_BYTES || !isEncryptedHeader(b)) throw new EncryptedBlobError(key, 'no envelope header');
  if (b[OFF_VERSION] !== ENCRYPTION_VERSION) throw new EncryptedBlobError(key, `unknown envelope version ${b[OFF_VERSION]}`);
  if (b[OFF_ALGORITHM] !== ENCRYPTION_ALGORITHM_AES256GCM_SEGMENTS) {
    throw new EncryptedBlobError(key, `unknown algorithm ${b[OFF_ALGORITHM]}`);
  }
  if (b.readUInt32BE(OFF_HEADER_LENGTH) !== HEADER_BYTES) throw new EncryptedBlobError(key, 'unexpected header length');
  const segmentSize = b.readUInt32BE(OFF_SEGMENT_SIZE);
  if (segmentSize < 1 || segmentSize > 16 * 1024 * 1024) throw new EncryptedBlobError(key, `bad segment size ${segmentSize}`);
  const idLen = b[OFF_KEY_ID_LENGTH];
  const wrappedLen = b.readUInt16BE(OFF_WRAPPED_LENGTH);
  if (idLen < 1 || idLen > MAX_KEY_ID_BYTES || wrappedLen < 1 || wrappedLen > MAX_WRAPPED_KEY_BYTES) {
    throw new EncryptedBlobError(key, 'bad key id or wrapped key length');
  }
  return {
    segmentSize,
    fileNonce: Buffer.from(b.subarray(OFF_FILE_NONCE, OFF_FILE_NONCE + 8)),
    keyId: b.subarray(OFF_KEY_ID, OFF_KEY_ID + idLen).toString('ascii'),
    wrappedKey: Buffer.from(b.subarray(OFF_WRAPPED, OFF_WRAPPED + wrappedLen)),
  };
}

/** Plaintext length and segment count of a stored file of `storedSize` bytes. */
export function envelopeGeometry(
  key: string,
  storedSize: number,
  segmentSize: number,
): { plainSize: number; segments: number; lastSegmentSize: number } {
  const body = storedSize - HEADER_BYTES;
  if (body < TAG_BYTES) throw new EncryptedBlobError(key, `truncated (${storedSize} bytes)`);
  const segments = Math.ceil(body / (segmentSize + TAG_BYTES));
  const plainSize = body - segments * TAG_BYTES;
  const lastSegmentSize = plainSize - (segments - 1) * segmentSize;
  if (lastSegmentSize < 0 || (segments > 1 && lastSegmentSize === 0)) {
    throw new EncryptedBlobError(key, `truncated (${storedSize} bytes is no whole number of segments)`);
  }
  return { plainSize, segments, lastSegmentSize };
}

function segmentNonce(fileNonce: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  fileNonce.copy(n, 0);
  n.writeUInt32BE(index, 8);
  return n;
}

function segmentAad(index: number, last: boolean): Buffer {
  const a = Buffer.alloc(5);
  a.writeUInt32BE(index, 0);
  a[4] = last ? 1 : 0;
  return a;
}

export function encryptSegment(dataKey: Buffer, fileNonce: Buffer, index: number, last: boolean, plain: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', dataKey, segmentNonce(fileNonce, index));
  c.setAAD(segmentAad(index, last));
  const out = c.update(plain);
  c.final(); // GCM: no bytes held back
  return Buffer.concat([out, c.getAuthTag()], out.length + TAG_BYTES);
}

function decryptSegment(
  key: string,
  dataKey: Buffer,
  fileNonce: Buffer,
  index: number,
  last: boolean,
  sealed: Buffer,
): Buffer {
  try {
    const d = createDecipheriv('aes-256-gcm', dataKey, segmentNonce(fileNonce, index));
    d.setAAD(segmentAad(index, last));
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const out = d.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    return Buffer.concat([out, d.final()]);
  } catch {
    throw new EncryptedBlobError(key, `segment ${index} failed authentication (the file was altered, truncated or reordered)`);
  }
}

function toChunks(body: BlobBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return [body];
  return body as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(parts);
}

/** What a stored file is, from its header. */
export type BlobEnvelope =
  | { encrypted: false; storedSize: number }
  | { encrypted: true; storedSize: number; header: EnvelopeHeader; headerBytes: Buffer; plainSize: number };

export interface EncryptedBlobStoreOptions {
  /** plaintext bytes per segment; default 64 KiB */
  segmentSize?: number;
  /**
   * Encrypt new files (default true). False writes new files in plain (legacy format)
   * while existing encrypted files stay readable with the configured keys.
   */
  encryptNewBlobs?: boolean;
}

/**
 * A BlobStore that encrypts what it stores in another BlobStore. `put` returns the size
 * and SHA-256 of the plaintext (the archive's hash is the audio's hash, as signed and
 * exported); `stat` returns the plaintext size; `get` with a range reads only the header
 * and the segments the range covers.
 */
export class EncryptedBlobStore implements BlobStore {
  readonly segmentSize: number;
  readonly encryptNewBlobs: boolean;
  private readonly dataKeys = new Map<string, Buffer>();

  constructor(
    readonly inner: BlobStore,
    readonly keys: KeyEncryptionKeys,
    options: EncryptedBlobStoreOptions = {},
  ) {
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    if (!Number.isInteger(this.segmentSize) || this.segmentSize < 16 || this.segmentSize > 16 * 1024 * 1024) {
      throw new Error(`segment size must be an integer from 16 to 16777216, got ${options.segmentSize}`);
    }
    this.encryptNewBlobs = options.encryptNewBlobs ?? true;
  }

  /** a new header (fresh data key and file nonce), wrapped by the active key */
  async newEnvelope(): Promise<{ header: Buffer; dataKey: Buffer; fileNonce: Buffer }> {
    const dataKey = randomBytes(32);
    const fileNonce = randomBytes(8);
    // the wrap context is the header's first 24 bytes, which do not depend on the key id
    const draft = encodeHeader({ segmentSize: this.segmentSize, fileNonce, keyId: this.keys.activeKeyId, wrappedKey: Buffer.alloc(1) });
    const wrapped = await this.keys.wrap(dataKey, wrapContext(draft));
    const header = encodeHeader({ segmentSize: this.segmentSize, fileNonce, keyId: wrapped.keyId, wrappedKey: wrapped.wrapped });
    return { header, dataKey, fileNonce };
  }

  async put(key: string, body: BlobBody, options: BlobPutOptions): Promise<BlobPutResult> {
    if (!this.encryptNewBlobs) return this.inner.put(key, body, options);
    const { header, dataKey, fileNonce } = await this.newEnvelope();
    const S = this.segmentSize;
    const hash = createHash('sha256');
    let size = 0;
    async function* sealed(): AsyncGenerator<Buffer> {
      yield header;
      // one segment's plaintext; a full segment goes out once a byte after it is known:
      // only then is it "not last"
      const segment = Buffer.allocUnsafe(S);
      let fill = 0;
      let index = 0;
      for await (const chunk of toChunks(body)) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        hash.update(buf);
        size += buf.length;
        let off = 0;
        while (off < buf.length) {
          if (fill === S) {
            yield encryptSegment(dataKey, fileNonce, index++, false, segment);
            fill = 0;
          }
          // whole segments straight from the chunk when more bytes follow them in it
          while (fill === 0 && buf.length - off > S) {
            yield encryptSegment(dataKey, fileNonce, index++, false, buf.subarray(off, off + S));
            off += S;
          }
          const n = Math.min(S - fill, buf.length - off);
          buf.copy(segment, fill, off, off + n);
          fill += n;
          off += n;
        }
      }
      yield encryptSegment(dataKey, fileNonce, index, true, segment.subarray(0, fill));
    }
    await this.inner.put(key, sealed(), options);
    return { key, size, sha256: hash.digest('hex') };
  }

  /** The stored file's envelope (its header when encrypted); undefined when absent. */
  async envelope(key: string): Promise<BlobEnvelope | undefined> {
    const st = await this.inner.stat(key);
    if (!st) return undefined;
    if (st.size < ENCRYPTION_MAGIC.length) return { encrypted: false, storedSize: st.size };
    const head = await readAll(await this.inner.get(key, { start: 0, end: Math.min(HEADER_BYTES, st.size) - 1 }));
    if (!isEncryptedHeader(head)) return { encrypted: false, storedSize: st.size };
    const header = decodeHeader(key, head);
    const { plainSize } = envelopeGeometry(key, st.size, header.segmentSize);
    return { encrypted: true, storedSize: st.size, header, headerBytes: head, plainSize };
  }

  private async dataKeyOf(header: EnvelopeHeader, headerBytes: Buffer): Promise<Buffer> {
    // the cache key holds everything the unwrap depends on (key id, wrapped key, context)
    const cacheKey = `${header.keyId}\0${header.wrappedKey.toString('base64')}\0${wrapContext(headerBytes).toString('base64')}`;
    const cached = this.dataKeys.get(cacheKey);
    if (cached) return cached;
    const dataKey = await this.keys.unwrap(header.keyId, header.wrappedKey, wrapContext(headerBytes));
    if (this.dataKeys.size >= 1024) this.dataKeys.delete(this.dataKeys.keys().next().value!);
    this.dataKeys.set(cacheKey, dataKey);
    return dataKey;
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const env = await this.envelope(key);
    if (!env) throw new BlobNotFoundError(key);
    if (!env.encrypted) return this.inner.get(key, range);
    const { header } = env;
    const size = env.plainSize;
    let start = 0;
    let end = size - 1;
    if (range) {
      end = range.end ?? size - 1;
      start = range.start;
      if (start < 0 || start > end || end >= size) {
        throw new RangeError(`Range ${range.start}-${range.end ?? ''} is outside blob ${key} of ${size} bytes`);
      }
    }
    // unwrap before returning: a wrong or missing key fails the call, naming the key id
    const dataKey = await this.dataKeyOf(header, env.headerBytes);
    const S = header.segmentSize;
    const geometry = envelopeGeometry(key, env.storedSize, S);
    const first = size === 0 ? 0 : Math.floor(start / S);
    const last = size === 0 ? 0 : Math.floor(end / S);
    const segLen = (i: number) => (i === geometry.segments - 1 ? geometry.lastSegmentSize : S) + TAG_BYTES;
    const cipherStart = HEADER_BYTES + first * (S + TAG_BYTES);
    const cipherEnd = HEADER_BYTES + last * (S + TAG_BYTES) + segLen(last) - 1;
    const source = await this.inner.get(key, { start: cipherStart, end: cipherEnd });
    const fileNonce = header.fileNonce;
    const lastIndex = geometry.segments - 1;
    async function* plain(): AsyncGenerator<Buffer> {
      let index = first;
      let buffered: Buffer[] = [];
      let bufferedLength = 0;
      const emit = (sealedSeg: Buffer): Buffer | undefined => {
        const segPlain = decryptSegment(key, dataKey, fileNonce, index, index === lastIndex, sealedSeg);
        const segStart = index * S;
        index++;
        const from = Math.max(start - segStart, 0);
        const to = Math.min(end + 1 - segStart, segPlain.length);
        return to > from ? segPlain.subarray(from, to) : undefined;
      };
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          buffered.push(chunk);
          bufferedLength += chunk.length;
          while (index <= last && bufferedLength >= segLen(index)) {
            const all = buffered.length === 1 ? buffered[0] : Buffer.concat(buffered, bufferedLength);
            const need = segLen(index);
            const out = emit(all.subarray(0, need));
            buffered = [all.subarray(need)];
            bufferedLength = all.length - need;
            if (out) yield out;
          }
        }
        if (index <= last) throw new EncryptedBlobError(key, `truncated: segment ${index} is incomplete`);
      } finally {
        source.destroy();
      }
    }
    return Readable.from(plain(), { objectMode: false });
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    const st = await this.inner.stat(key);
    if (!st) return undefined;
    if (st.size < ENCRYPTION_MAGIC.length) return st;
    const head = await readAll(await this.inner.get(key, { start: 0, end: Math.min(HEADER_BYTES, st.size) - 1 }));
    if (!isEncryptedHeader(head)) return st;
    const header = decodeHeader(key, head);
    return { ...st, size: envelopeGeometry(key, st.size, header.segmentSize).plainSize };
  }

  delete(key: string): Promise<boolean> {
    return this.inner.delete(key);
  }

  /** keys under `prefix`; the key-check blobs only when `prefix` names their folder */
  async list(prefix: string): Promise<string[]> {
    const keys = await this.inner.list(prefix);
    return prefix.startsWith('_encryption/') ? keys : keys.filter(k => !k.startsWith('_encryption/'));
  }

  checkWritable(): Promise<StorageHealth> {
    return this.inner.checkWritable();
  }

  /**
   * Re-wraps a file's data key with the active key, rewriting only the header: in place
   * (write + fsync of the first HEADER_BYTES bytes) on local files, else by copying the
   * stored bytes with the new header. Returns the key id it was wrapped with before, or
   * undefined when nothing changed (plain file, or already under the active key).
   */
  async rewrapBlob(key: string): Promise<string | undefined> {
    const env = await this.envelope(key);
    if (!env) throw new BlobNotFoundError(key);
    if (!env.encrypted || env.header.keyId === this.keys.activeKeyId) return undefined;
    const dataKey = await this.keys.unwrap(env.header.keyId, env.header.wrappedKey, wrapContext(env.headerBytes));
    const wrapped = await this.keys.wrap(dataKey, wrapContext(env.headerBytes));
    const header = encodeHeader({ ...env.header, keyId: wrapped.keyId, wrappedKey: wrapped.wrapped });
    if (this.inner instanceof LocalFileBlobStore) {
      const h = await fsp.open(this.inner.resolveKey(key), 'r+');
      try {
        await h.write(header, 0, HEADER_BYTES, 0);
        await h.sync();
      } finally {
        await h.close();
      }
    } else {
      const st = await this.inner.stat(key);
      const rest = await this.inner.get(key, { start: HEADER_BYTES });
      const body = async function* withNewHeader(): AsyncGenerator<Buffer> {
        yield header;
        for await (const c of rest as AsyncIterable<Buffer>) yield c;
      };
      await this.inner.put(key, body(), { contentType: st?.contentType ?? 'application/octet-stream' });
    }
    this.dataKeys.clear();
    return env.header.keyId;
  }

  /** the key-check blob's plaintext for a key id */
  static keyCheckText(keyId: string): string {
    return `mvr key check v1: this file was encrypted with key ${keyId}\n`;
  }

  /**
   * The start-up check (docs/encryption.md, "Wrong or missing keys"): every configured
   * key must open its key-check blob (written when the active key is first used), and every
   * key-check blob in the store must belong to a configured key. Throws
   * EncryptionKeyError naming the key id; returns the key ids whose check blob it wrote
   * (none with `writeMissing: false`).
   */
  async verifyKeys(options: { writeMissing?: boolean } = {}): Promise<{ verified: string[]; created: string[] }> {
    const verified: string[] = [];
    const created: string[] = [];
    const configured = new Set(this.keys.keyIds);
    const present = (await this.inner.list(KEY_CHECK_PREFIX)).map(k => k.slice(KEY_CHECK_PREFIX.length));
    for (const id of present) {
      if (!configured.has(id)) {
        throw new EncryptionKeyError(
          `The recording archive holds files encrypted with key ${JSON.stringify(id)}, which is not configured ` +
            `(voiceRecording.encryption.keys has ${[...configured].join(', ') || 'none'}): add the key, or run the rewrap command with it first`,
          id,
        );
      }
    }
    for (const id of configured) {
      const checkKey = `${KEY_CHECK_PREFIX}${id}`;
      if (present.includes(id)) {
        let text: string;
        try {
          text = (await readAll(await this.get(checkKey))).toString('utf8');
        } catch (e) {
          if (e instanceof EncryptionKeyError) throw e;
          throw new EncryptionKeyError(
            `Encryption key ${JSON.stringify(id)} does not open its key-check blob ${checkKey}: ${(e as Error).message}`,
            id,
          );
        }
        if (text !== EncryptedBlobStore.keyCheckText(id)) {
          throw new EncryptionKeyError(`Encryption key ${JSON.stringify(id)}: the key-check blob ${checkKey} holds other content`, id);
        }
        verified.push(id);
      } else if (id === this.keys.activeKeyId && this.encryptNewBlobs && options.writeMissing !== false) {
        // first use of the active key: its check blob, encrypted with it
        await this.put(checkKey, Buffer.from(EncryptedBlobStore.keyCheckText(id)), { contentType: 'text/plain' });
        created.push(id);
      }
    }
    return { verified, created };
  }
}

/**
 * Archives without encryption configured: refuse to start when the store holds
 * key-check blobs (files encrypted with a key that is no longer configured).
 */
export async function assertNoEncryptedArchive(store: BlobStore): Promise<void> {
  const present = await store.list(KEY_CHECK_PREFIX);
  if (present.length > 0) {
    const id = present[0].slice(KEY_CHECK_PREFIX.length);
    throw new EncryptionKeyError(
      `The recording archive holds files encrypted with key ${JSON.stringify(id)}, but no encryption keys are configured (voiceRecording.encryption.keys)`,
      id,
    );
  }
}
