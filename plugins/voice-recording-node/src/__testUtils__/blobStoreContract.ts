/*
 * The BlobStore contract: what every implementation (local files, S3, wrappers) must do,
 * as one suite that takes a store factory. Run from BlobStoreContract.test.ts.
 */
/* eslint-disable jest/no-export, jest/no-standalone-expect, jest/valid-title -- shared by several test files: it exports, and its tests are declared inside a function where the rules cannot see the test blocks */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobNotFoundError, BlobStore, InvalidBlobKeyError } from '../storage/BlobStore';

export interface ContractSubject {
  store: BlobStore;
  /** called after each test */
  cleanup(): Promise<void>;
  /**
   * Stores `body` under `key` so that the store must refuse to delete it (S3 Object Lock);
   * absent when the store has no such protection.
   */
  putLocked?(key: string, body: Buffer): Promise<void>;
  /** the error class a refused delete of a locked blob throws */
  lockedError?: new (...args: any[]) => Error;
}

export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** deterministic, non-repeating-looking bytes */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** a body delivered as a stream of odd-sized chunks */
function chunked(data: Buffer, chunk: number): Readable {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunk) parts.push(data.subarray(off, off + chunk));
  return Readable.from(parts);
}

const MIB = 1024 * 1024;

export function describeBlobStoreContract(
  name: string,
  makeSubject: () => Promise<ContractSubject>,
  capabilities: { objectLock: boolean },
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: BlobStore;
    beforeEach(async () => {
      subject = await makeSubject();
      store = subject.store;
    });
    afterEach(async () => {
      await subject?.cleanup();
    });

    it('puts a buffer and a stream, returning size and SHA-256 of the bytes, and reads them back', async () => {
      const data = pattern(300_001, 7);
      const a = await store.put('rec/2025/01/a.opus', data, { contentType: 'audio/ogg' });
      expect(a).toMatchObject({ key: 'rec/2025/01/a.opus', size: data.length, sha256: sha256(data) });
      expect(sha256(await readAll(await store.get('rec/2025/01/a.opus')))).toBe(sha256(data));
      const b = await store.put('rec/2025/01/b.wav', chunked(data, 4097), { contentType: 'audio/wav' });
      expect(b).toMatchObject({ key: 'rec/2025/01/b.wav', size: data.length, sha256: sha256(data) });
      expect((await readAll(await store.get('rec/2025/01/b.wav'))).equals(data)).toBe(true);
      const empty = await store.put('rec/empty', Buffer.alloc(0), { contentType: 'application/octet-stream' });
      expect(empty).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await readAll(await store.get('rec/empty'))).length).toBe(0);
    });

    it('reads byte ranges: inner, first byte, last byte, from an offset to the end, and refuses ranges past the end', async () => {
      const data = pattern(100_000, 3);
      await store.put('r/x', data, { contentType: 'application/octet-stream' });
      const read = async (start: number, end?: number) => readAll(await store.get('r/x', { start, end }));
      expect((await read(10, 19)).equals(data.subarray(10, 20))).toBe(true);
      expect((await read(0, 0)).equals(data.subarray(0, 1))).toBe(true);
      expect((await read(99_999, 99_999)).equals(data.subarray(99_999))).toBe(true);
      // the last N bytes (what an HTTP suffix range `bytes=-N` becomes once the size is known)
      expect((await read(100_000 - 1))).toEqual(data.subarray(99_999));
      expect((await read(100_000 - 4096)).equals(data.subarray(100_000 - 4096))).toBe(true);
      expect((await read(0)).equals(data)).toBe(true);
      expect((await read(0, 99_999)).equals(data)).toBe(true);
      await expect(store.get('r/x', { start: 5, end: 100_000 })).rejects.toThrow(RangeError);
      await expect(store.get('r/x', { start: 100_000 })).rejects.toThrow(RangeError);
      await expect(store.get('r/x', { start: 20, end: 10 })).rejects.toThrow(RangeError);
    });

    it('stores a large streamed body (several 5 MiB parts) whole, with ranges across part boundaries', async () => {
      const size = 11 * MIB + 12_345;
      const data = pattern(size, 11);
      const res = await store.put('big/call.wav', chunked(data, 64 * 1024 + 3), { contentType: 'audio/wav' });
      expect(res).toMatchObject({ size, sha256: sha256(data) });
      expect(await store.stat('big/call.wav')).toMatchObject({ size, contentType: 'audio/wav' });
      const all = await readAll(await store.get('big/call.wav'));
      expect(sha256(all)).toBe(sha256(data));
      for (const boundary of [5 * MIB, 10 * MIB]) {
        const got = await readAll(await store.get('big/call.wav', { start: boundary - 100, end: boundary + 99 }));
        expect(got.equals(data.subarray(boundary - 100, boundary + 100))).toBe(true);
      }
      expect((await readAll(await store.get('big/call.wav', { start: size - 10 }))).equals(data.subarray(size - 10))).toBe(true);
    });

    it('stat gives size, modification time and content type; undefined for a missing key', async () => {
      const before = Date.now();
      await store.put('s/one.mp3', pattern(1234), { contentType: 'audio/mpeg' });
      const st = await store.stat('s/one.mp3');
      expect(st).toMatchObject({ key: 's/one.mp3', size: 1234, contentType: 'audio/mpeg' });
      // (not toBeInstanceOf(Date): fs.Stats dates come from another realm than the test's)
      expect(Object.prototype.toString.call(st!.modifiedAt)).toBe('[object Date]');
      // S3 keeps whole seconds; allow clock skew of a few seconds between host and store
      expect(Math.abs(st!.modifiedAt.getTime() - before)).toBeLessThan(60_000);
      expect(await store.stat('s/missing')).toBeUndefined();
      expect(await store.stat('s')).toBeUndefined();
    });

    it('a missing key: get is BlobNotFoundError (with or without a range), delete is false', async () => {
      await expect(store.get('nothing/here')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('nothing/here', { start: 0, end: 3 })).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.delete('nothing/here')).toBe(false);
    });

    it('replaces a blob on a second put', async () => {
      await store.put('o/k', Buffer.from('old content'), { contentType: 'text/plain' });
      await store.put('o/k', Buffer.from('new'), { contentType: 'text/csv' });
      expect((await readAll(await store.get('o/k'))).toString()).toBe('new');
      expect(await store.stat('o/k')).toMatchObject({ size: 3, contentType: 'text/csv' });
      expect(await store.list('o/')).toEqual(['o/k']);
    });

    it('deletes: true once, then false; the blob is gone for get, stat and list', async () => {
      await store.put('d/a', Buffer.from('a'), { contentType: 'text/plain' });
      await store.put('d/b', Buffer.from('b'), { contentType: 'text/plain' });
      await store.put('d/b', Buffer.from('b2'), { contentType: 'text/plain' });
      expect(await store.delete('d/a')).toBe(true);
      expect(await store.delete('d/a')).toBe(false);
      expect(await store.delete('d/b')).toBe(true);
      expect(await store.stat('d/a')).toBeUndefined();
      expect(await store.stat('d/b')).toBeUndefined();
      await expect(store.get('d/a')).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.list('d/')).toEqual([]);
      // a deleted key can be written again
      await store.put('d/a', Buffer.from('again'), { contentType: 'text/plain' });
      expect((await readAll(await store.get('d/a'))).toString()).toBe('again');
    });

    it('lists keys under a prefix, sorted, across "directories" and partial segments', async () => {
      for (const k of ['l/2025/02/b', 'l/2025/01/a', 'l/2025/01/c', 'l/2024/12/z', 'm/other', 'l2/x']) {
        await store.put(k, Buffer.from(k), { contentType: 'text/plain' });
      }
      expect(await store.list('l/')).toEqual(['l/2024/12/z', 'l/2025/01/a', 'l/2025/01/c', 'l/2025/02/b']);
      expect(await store.list('l/2025/0')).toEqual(['l/2025/01/a', 'l/2025/01/c', 'l/2025/02/b']);
      expect(await store.list('l/2025/01/')).toEqual(['l/2025/01/a', 'l/2025/01/c']);
      expect(await store.list('l')).toEqual(['l/2024/12/z', 'l/2025/01/a', 'l/2025/01/c', 'l/2025/02/b', 'l2/x']);
      expect(await store.list('nope/')).toEqual([]);
      const everything = await store.list('');
      expect(everything).toEqual([...everything].sort());
      expect(everything).toEqual(expect.arrayContaining(['m/other', 'l2/x', 'l/2025/02/b']));
    });

    it('keeps the old blob and leaves nothing new when the body stream fails (also after a part was sent)', async () => {
      await store.put('f/k', Buffer.from('old'), { contentType: 'text/plain' });
      async function* failing(afterBytes: number) {
        yield pattern(afterBytes, 5);
        throw new Error('source broke');
      }
      await expect(store.put('f/k', failing(1000), { contentType: 'text/plain' })).rejects.toThrow('source broke');
      await expect(store.put('f/k', failing(6 * MIB), { contentType: 'text/plain' })).rejects.toThrow('source broke');
      await expect(store.put('f/new', failing(6 * MIB), { contentType: 'text/plain' })).rejects.toThrow('source broke');
      expect((await readAll(await store.get('f/k'))).toString()).toBe('old');
      expect(await store.list('f/')).toEqual(['f/k']);
      expect(await store.stat('f/new')).toBeUndefined();
    });

    it.each(['../escape', 'a/../../b', '/etc/passwd', 'a//b', '.hidden', 'a/./b', 'a\\b', '', 'a/b/', 'x.tmp-1', 'a'.repeat(513)])(
      'rejects the key %p',
      async key => {
        await expect(store.put(key, Buffer.from('x'), { contentType: 'x' })).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.stat(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      },
    );

    it('checkWritable reports a healthy store', async () => {
      expect(await store.checkWritable()).toEqual({ ok: true });
      // the probe leaves nothing behind
      expect(await store.list('')).toEqual([]);
    });

    // a store without write-once protection has nothing to refuse
    (capabilities.objectLock ? it : it.skip)('refuses to delete a locked blob, keeping it readable', async () => {
      const data = pattern(2048, 9);
      await subject.putLocked!('lock/evidence.opus', data);
      await expect(store.delete('lock/evidence.opus')).rejects.toBeInstanceOf(subject.lockedError!);
      expect((await readAll(await store.get('lock/evidence.opus'))).equals(data)).toBe(true);
      expect(await store.list('lock/')).toEqual(['lock/evidence.opus']);
    });
  });
}
