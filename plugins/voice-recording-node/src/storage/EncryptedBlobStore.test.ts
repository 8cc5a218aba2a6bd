import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { mockServices } from '@backstage/backend-test-utils';
import { BlobRange, BlobStore, LocalFileBlobStore } from './BlobStore';
import {
  EncryptedBlobError,
  EncryptedBlobStore,
  HEADER_BYTES,
  KEY_CHECK_PREFIX,
  TAG_BYTES,
} from './EncryptedBlobStore';
import { EncryptionKeyError, StaticKeyEncryptionKeys } from './KeyEncryptionKeys';
import { rewrapDataKeys } from './rewrapDataKeys';
import { openRecordingBlobStore } from './encryptionConfig';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** a LocalFileBlobStore that records the byte ranges read from it */
class CountingStore extends LocalFileBlobStore {
  reads: Array<{ key: string; range?: BlobRange }> = [];
  bytesRead = 0;
  async get(key: string, range?: BlobRange): Promise<Readable> {
    this.reads.push({ key, range });
    const r = await super.get(key, range);
    const counter = new Transform({
      transform: (c: Buffer, _enc, done) => {
        this.bytesRead += c.length;
        done(null, c);
      },
    });
    r.on('error', e => counter.destroy(e));
    return r.pipe(counter);
  }
}

const S = 1024; // small segments so that tests cross many boundaries

function keysOf(...ids: string[]): Map<string, Buffer> {
  return new Map(ids.map(id => [id, randomBytes(32)]));
}

describe('EncryptedBlobStore', () => {
  let dir: string;
  let inner: CountingStore;
  let kek: Map<string, Buffer>;
  let store: EncryptedBlobStore;
  const plain = randomBytes(10 * S + 123); // 10 full segments and a partial one
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-enc-'));
    inner = new CountingStore(path.join(dir, 'root'), { minFreeBytes: 0 });
    kek = keysOf('k1');
    store = new EncryptedBlobStore(inner, new StaticKeyEncryptionKeys(kek, 'k1'), { segmentSize: S });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips buffers and streams; put returns the plaintext size and SHA-256; stat the plaintext size', async () => {
    const sha = createHash('sha256').update(plain).digest('hex');
    const put = await store.put('a/b.wav', plain, { contentType: 'audio/wav' });
    expect(put).toEqual({ key: 'a/b.wav', size: plain.length, sha256: sha });
    // a stream of odd-sized chunks, exactly a multiple of the segment size
    const exact = randomBytes(4 * S);
    const chunks = [exact.subarray(0, 7), exact.subarray(7, 3000), exact.subarray(3000)];
    const put2 = await store.put('a/c.opus', Readable.from(chunks), { contentType: 'audio/ogg' });
    expect(put2.size).toBe(4 * S);
    const empty = await store.put('a/empty', Buffer.alloc(0), { contentType: 'x/y' });
    expect(empty).toEqual({ key: 'a/empty', size: 0, sha256: createHash('sha256').digest('hex') });

    expect(await readAll(await store.get('a/b.wav'))).toEqual(plain);
    expect(await readAll(await store.get('a/c.opus'))).toEqual(exact);
    expect((await readAll(await store.get('a/empty'))).length).toBe(0);
    expect((await store.stat('a/b.wav'))).toMatchObject({ size: plain.length, contentType: 'audio/wav' });
    expect((await store.stat('a/c.opus'))?.size).toBe(4 * S);
    expect((await store.stat('a/empty'))?.size).toBe(0);
    // on disk: header + 11 sealed segments; 4 segments for the exact multiple (no empty tail)
    expect(fs.statSync(inner.resolveKey('a/b.wav')).size).toBe(HEADER_BYTES + plain.length + 11 * TAG_BYTES);
    expect(fs.statSync(inner.resolveKey('a/c.opus')).size).toBe(HEADER_BYTES + 4 * S + 4 * TAG_BYTES);
    expect(fs.statSync(inner.resolveKey('a/empty')).size).toBe(HEADER_BYTES + TAG_BYTES);
    expect(await store.list('a/')).toEqual(['a/b.wav', 'a/c.opus', 'a/empty']);
    expect(await store.delete('a/b.wav')).toBe(true);
    expect(await store.stat('a/b.wav')).toBeUndefined();
  });

  it('serves Range reads at segment boundaries, open ends, the last partial segment, reading only the segments needed', async () => {
    await store.put('r', plain, { contentType: 'audio/wav' });
    const cases: Array<[number, number | undefined]> = [
      [0, 0],
      [0, S - 1],
      [S - 1, S],
      [S, 2 * S - 1],
      [3 * S - 5, 5 * S + 5],
      [10 * S, undefined], // the last, partial segment
      [plain.length - 1, undefined], // the last byte
      [plain.length - 100, plain.length - 1], // like bytes=-100
      [5, undefined],
    ];
    for (const [start, end] of cases) {
      inner.reads = [];
      inner.bytesRead = 0;
      const got = await readAll(await store.get('r', { start, end }));
      const last = end ?? plain.length - 1;
      expect(got).toEqual(plain.subarray(start, last + 1));
      // the header, then one read of exactly the covering segments
      const first = Math.floor(start / S);
      const lastSeg = Math.floor(last / S);
      const segmentBytes = (lastSeg - first + 1) * (S + TAG_BYTES) - (lastSeg === 10 ? S - 123 : 0);
      expect(inner.reads.map(r => r.range)).toEqual([
        { start: 0, end: HEADER_BYTES - 1 },
        { start: HEADER_BYTES + first * (S + TAG_BYTES), end: HEADER_BYTES + first * (S + TAG_BYTES) + segmentBytes - 1 },
      ]);
      expect(inner.bytesRead).toBe(HEADER_BYTES + segmentBytes);
    }
    await expect(store.get('r', { start: plain.length })).rejects.toThrow(RangeError);
    await expect(store.get('r', { start: 5, end: plain.length })).rejects.toThrow(RangeError);
    await expect(store.get('r', { start: 7, end: 6 })).rejects.toThrow(RangeError);
  });

  it('keeps no plaintext on disk and cannot be read without the right key (the error names the key id)', async () => {
    const text = Buffer.from('PLAINTEXT-MARKER '.repeat(400));
    await store.put('t', text, { contentType: 'text/plain' });
    const onDisk = fs.readFileSync(inner.resolveKey('t'));
    expect(onDisk.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
    expect(onDisk.subarray(0, 6).toString('ascii')).toBe('MVRENC');

    const wrongKey = new EncryptedBlobStore(inner, new StaticKeyEncryptionKeys(keysOf('k1'), 'k1'), { segmentSize: S });
    await expect(wrongKey.get('t')).rejects.toThrow(EncryptionKeyError);
    await expect(wrongKey.get('t')).rejects.toThrow(/"k1"/);
    const missingKey = new EncryptedBlobStore(inner, new StaticKeyEncryptionKeys(keysOf('k2'), 'k2'), { segmentSize: S });
    await expect(missingKey.get('t', { start: 0, end: 10 })).rejects.toThrow(/Encryption key "k1" is not configured/);
  });

  it('fails authentication on a flipped ciphertext byte, a swapped or dropped segment, a truncated file (never garbage)', async () => {
    await store.put('f', plain, { contentType: 'audio/wav' });
    const file = inner.resolveKey('f');
    const good = fs.readFileSync(file);
    const seg = (i: number) => HEADER_BYTES + i * (S + TAG_BYTES);

    const flipped = Buffer.from(good);
    flipped[seg(3) + 17] ^= 0x01;
    fs.writeFileSync(file, flipped);
    await expect(readAll(await store.get('f'))).rejects.toThrow(/segment 3 failed authentication/);
    // a range not touching segment 3 still reads
    expect(await readAll(await store.get('f', { start: 0, end: S - 1 }))).toEqual(plain.subarray(0, S));

    const swapped = Buffer.concat([good.subarray(0, seg(1)), good.subarray(seg(2), seg(3)), good.subarray(seg(1), seg(2)), good.subarray(seg(3))]);
    fs.writeFileSync(file, swapped);
    await expect(readAll(await store.get('f', { start: S, end: S + 10 }))).rejects.toThrow(/segment 1 failed authentication/);

    // cut after 5 whole segments: the new last segment was not sealed as the last one
    fs.writeFileSync(file, good.subarray(0, seg(5)));
    expect((await store.stat('f'))?.size).toBe(5 * S);
    await expect(readAll(await store.get('f'))).rejects.toThrow(/segment 4 failed authentication/);

    const header = Buffer.from(good);
    header[20] ^= 0x01; // the file nonce is bound to the wrapped data key
    fs.writeFileSync(file, header);
    await expect(store.get('f')).rejects.toThrow(/"k1" cannot unwrap/);
  });

  it('reads legacy plain files unchanged (archives written before encryption)', async () => {
    const legacy = Buffer.from('RIFF....WAVEfmt legacy audio');
    await inner.put('old.wav', legacy, { contentType: 'audio/wav' });
    await inner.put('tiny', Buffer.from('ab'), { contentType: 'x/y' });
    expect(await readAll(await store.get('old.wav'))).toEqual(legacy);
    expect(await readAll(await store.get('old.wav', { start: 4, end: 7 }))).toEqual(legacy.subarray(4, 8));
    expect((await store.stat('old.wav'))?.size).toBe(legacy.length);
    expect(await readAll(await store.get('tiny'))).toEqual(Buffer.from('ab'));
  });

  it('rotates keys: new files under the new key, rewrap rewrites only headers, the old key is no longer needed', async () => {
    await store.verifyKeys(); // k1's check blob
    await store.put('x/1', plain, { contentType: 'audio/wav' });
    await store.put('x/2', plain.subarray(0, 77), { contentType: 'audio/wav' });
    await inner.put('x/legacy', Buffer.from('plain'), { contentType: 'audio/wav' });
    const bodyBefore = fs.readFileSync(inner.resolveKey('x/1')).subarray(HEADER_BYTES);

    const k2 = randomBytes(32);
    const rotated = new EncryptedBlobStore(inner, new StaticKeyEncryptionKeys([...kek, ['k2', k2]], 'k2'), { segmentSize: S });
    expect((await rotated.verifyKeys()).created).toEqual(['k2']);
    await rotated.put('x/3', plain, { contentType: 'audio/wav' });
    expect(fs.readFileSync(inner.resolveKey('x/3')).subarray(25, 27).toString('ascii')).toBe('k2');

    const dry = await rewrapDataKeys(rotated, { dryRun: true });
    expect(dry).toMatchObject({ scanned: 4, rewrapped: 2, alreadyActive: 1, plain: 1, remainingByKeyId: { k1: 2 }, retiredKeyIds: [] });
    const report = await rewrapDataKeys(rotated);
    expect(report).toMatchObject({ scanned: 4, rewrapped: 2, alreadyActive: 1, plain: 1, failed: [], retiredKeyIds: ['k1'] });
    expect(await rewrapDataKeys(rotated)).toMatchObject({ rewrapped: 0, alreadyActive: 3 }); // resumable: nothing left
    // the audio bytes were not rewritten
    expect(fs.readFileSync(inner.resolveKey('x/1')).subarray(HEADER_BYTES)).toEqual(bodyBefore);
    expect(await inner.list(KEY_CHECK_PREFIX)).toEqual([`${KEY_CHECK_PREFIX}k2`]);

    // only k2 configured: everything reads, the start-up check passes
    const onlyK2 = new EncryptedBlobStore(inner, new StaticKeyEncryptionKeys([['k2', k2]], 'k2'), { segmentSize: S });
    await onlyK2.verifyKeys();
    expect(await readAll(await onlyK2.get('x/1'))).toEqual(plain);
    expect(await readAll(await onlyK2.get('x/2', { start: 10, end: 20 }))).toEqual(plain.subarray(10, 21));
    expect(await readAll(await onlyK2.get('x/3'))).toEqual(plain);
    expect(await readAll(await onlyK2.get('x/legacy'))).toEqual(Buffer.from('plain'));
  });

  it('rewraps through any BlobStore (copying with the new header) when the store is not local files', async () => {
    const generic: BlobStore = {
      put: (k, b, o) => inner.put(k, b, o),
      get: (k, r) => inner.get(k, r),
      stat: k => inner.stat(k),
      delete: k => inner.delete(k),
      list: p => inner.list(p),
      checkWritable: () => inner.checkWritable(),
    };
    const s1 = new EncryptedBlobStore(generic, new StaticKeyEncryptionKeys(kek, 'k1'), { segmentSize: S });
    await s1.put('g', plain, { contentType: 'audio/ogg' });
    const k2 = keysOf('k2');
    const s2 = new EncryptedBlobStore(generic, new StaticKeyEncryptionKeys([...kek, ...k2], 'k2'), { segmentSize: S });
    expect(await rewrapDataKeys(s2, { fromKeyId: 'k1' })).toMatchObject({ rewrapped: 1 });
    const only2 = new EncryptedBlobStore(generic, new StaticKeyEncryptionKeys(k2, 'k2'), { segmentSize: S });
    expect(await readAll(await only2.get('g'))).toEqual(plain);
    expect((await only2.stat('g'))?.contentType).toBe('audio/ogg');
  });

  it('start-up check: a wrong key or a key the archive needs but the config lacks is an error naming the key id', async () => {
    expect(await store.verifyKeys()).toEqual({ verified: [], created: ['k1'] });
    expect(await store.verifyKeys()).toEqual({ verified: ['k1'], created: [] });
    expect(await store.list('')).toEqual([]); // the check blob is not a recording

    const wrong = new EncryptedBlobStore(inner, new StaticKeyEncryptionKeys(keysOf('k1'), 'k1'));
    await expect(wrong.verifyKeys()).rejects.toThrow(/Encryption key "k1" cannot unwrap/);
    const other = new EncryptedBlobStore(inner, new StaticKeyEncryptionKeys(keysOf('k2'), 'k2'));
    const e = await other.verifyKeys().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(EncryptionKeyError);
    expect((e as EncryptionKeyError).keyId).toBe('k1');
    expect((e as Error).message).toMatch(/holds files encrypted with key "k1", which is not configured/);
  });

  it('opens the archive from config: key file created on first start, encryption off refuses an encrypted archive', async () => {
    const root = path.join(dir, 'cfg-root');
    const keyFile = path.join(dir, 'keys', 'demo.key');
    const config = (encryption: object | undefined) =>
      mockServices.rootConfig({ data: { voiceRecording: encryption ? { encryption } : {} } });
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), info: () => undefined } as any;
    const opened = await openRecordingBlobStore(
      config({ keys: [{ id: 'demo-1', keyFile, createIfMissing: true }] }),
      new LocalFileBlobStore(root, { minFreeBytes: 0 }),
      { logger },
    );
    expect(opened).toBeInstanceOf(EncryptedBlobStore);
    expect(warnings.join('\n')).toMatch(/created a NEW key "demo-1"/);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    await opened.put('c/1', plain, { contentType: 'audio/wav' });
    // the same key file on the next start
    const again = await openRecordingBlobStore(
      config({ keys: [{ id: 'demo-1', keyFile }] }),
      new LocalFileBlobStore(root, { minFreeBytes: 0 }),
    );
    expect(await readAll(await again.get('c/1'))).toEqual(plain);
    // turned off for new files, old ones still readable
    const off = await openRecordingBlobStore(
      config({ enabled: false, keys: [{ id: 'demo-1', keyFile }] }),
      new LocalFileBlobStore(root, { minFreeBytes: 0 }),
    );
    await off.put('c/plain', Buffer.from('x'), { contentType: 'x/y' });
    expect(fs.readFileSync(path.join(root, 'c', 'plain'), 'utf8')).toBe('x');
    expect(await readAll(await off.get('c/1'))).toEqual(plain);
    // no keys at all: refused, naming the key
    await expect(
      openRecordingBlobStore(config(undefined), new LocalFileBlobStore(root, { minFreeBytes: 0 })),
    ).rejects.toThrow(/encrypted with key "demo-1", but no encryption keys are configured/);
    // a missing key file without createIfMissing
    await expect(
      openRecordingBlobStore(
        config({ keys: [{ id: 'demo-2', keyFile: path.join(dir, 'nope.key') }] }),
        new LocalFileBlobStore(path.join(dir, 'other'), { minFreeBytes: 0 }),
      ),
    ).rejects.toThrow(/Encryption key "demo-2" is missing: key file .*nope.key does not exist/);
    // a key given inline, wrong length
    await expect(
      openRecordingBlobStore(
        config({ keys: [{ id: 'bad', key: Buffer.alloc(16).toString('base64') }] }),
        new LocalFileBlobStore(path.join(dir, 'other'), { minFreeBytes: 0 }),
      ),
    ).rejects.toThrow(/Encryption key "bad" .* must be 32 bytes/);
  });

  it('rejects a truncated header as an encrypted blob error, not garbage', async () => {
    await store.put('h', plain, { contentType: 'audio/wav' });
    const file = inner.resolveKey('h');
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, HEADER_BYTES + 3));
    await expect(store.get('h')).rejects.toThrow(EncryptedBlobError);
  });
});
