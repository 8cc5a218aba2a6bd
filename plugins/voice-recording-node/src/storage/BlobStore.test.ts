import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { BlobNotFoundError, InvalidBlobKeyError, LocalFileBlobStore, StorageUnavailableError } from './BlobStore';
import { whileLibuvPoolBlocked } from '../__testUtils__/libuvPoolBlocked';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const isRoot = process.getuid?.() === 0;

/** mount a tmpfs (root only); returns undefined when the sandbox forbids mounting */
function tryMount(dir: string, opts: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe.each([
  ["file calls on libuv's pool", false],
  ['blocking file calls (encoder threads)', true],
])('LocalFileBlobStore, %s', (_flavour, blockingIo) => {
  let dir: string;
  let store: LocalFileBlobStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-blob-'));
    store = new LocalFileBlobStore(path.join(dir, 'root'), { minFreeBytes: 0, blockingIo });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stores buffers and streams atomically with size and sha256, reads back with ranges', async () => {
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const res = await store.put('recordings/2025/01/a.opus', Readable.from([data.subarray(0, 1000), data.subarray(1000)]), {
      contentType: 'audio/ogg',
    });
    expect(res).toEqual({
      key: 'recordings/2025/01/a.opus',
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    expect((await readAll(await store.get(res.key))).equals(data)).toBe(true);
    expect((await readAll(await store.get(res.key, { start: 10, end: 19 }))).equals(data.subarray(10, 20))).toBe(true);
    expect((await readAll(await store.get(res.key, { start: 299_990 }))).equals(data.subarray(299_990))).toBe(true);
    await expect(store.get(res.key, { start: 5, end: 300_000 })).rejects.toThrow(RangeError);
    expect(await store.stat(res.key)).toMatchObject({ size: data.length, contentType: 'audio/ogg' });
    await store.put('recordings/2025/02/b.wav', Buffer.from('x'), { contentType: 'audio/wav' });
    await store.put('other/c', Buffer.from('y'), { contentType: 'text/plain' });
    expect(await store.list('recordings/')).toEqual(['recordings/2025/01/a.opus', 'recordings/2025/02/b.wav']);
    expect(await store.list('recordings/2025/02')).toEqual(['recordings/2025/02/b.wav']);
    expect(await store.delete('other/c')).toBe(true);
    expect(await store.delete('other/c')).toBe(false);
    expect(await store.stat('other/c')).toBeUndefined();
    await expect(store.get('other/c')).rejects.toBeInstanceOf(BlobNotFoundError);
    // no temp files left behind
    const all = execFileSync('find', [store.root, '-type', 'f']).toString();
    expect(all).not.toMatch(/\.tmp-/);
  });

  if (blockingIo) {
    it("makes every file call on the calling thread: it works while libuv's pool is taken", async () => {
      const data = Buffer.alloc(200_000, 3);
      await whileLibuvPoolBlocked(async () => {
        expect(await store.checkWritable()).toEqual({ ok: true });
        const res = await store.put('a/b/c.wav', Readable.from([data.subarray(0, 5), data.subarray(5)]), { contentType: 'audio/wav' });
        expect(res.size).toBe(data.length);
        expect((await readAll(await store.get('a/b/c.wav'))).equals(data)).toBe(true);
        expect((await readAll(await store.get('a/b/c.wav', { start: 70_000, end: 140_001 }))).length).toBe(70_002);
        expect(await store.stat('a/b/c.wav')).toMatchObject({ size: data.length, contentType: 'audio/wav' });
        expect(await store.list('a/')).toEqual(['a/b/c.wav']);
        expect(await store.delete('a/b/c.wav')).toBe(true);
        expect(await store.delete('a/b/c.wav')).toBe(false);
      });
    });
  }

  it('replaces a blob atomically and leaves nothing when the source stream fails', async () => {
    await store.put('k', Buffer.from('old'), { contentType: 'text/plain' });
    async function* failing() {
      yield Buffer.from('partial new content');
      throw new Error('source broke');
    }
    await expect(store.put('k', failing(), { contentType: 'text/plain' })).rejects.toThrow('source broke');
    expect((await readAll(await store.get('k'))).toString()).toBe('old');
    expect(fs.readdirSync(store.root).filter(n => n.includes('.tmp-'))).toEqual([]);
  });

  it('stores what each chunk held when it was given, though the body reuses its memory (chunks are written together)', async () => {
    // one 16 KB buffer refilled for every chunk, as a renderer reusing its window would do
    const reused = Buffer.alloc(16_384);
    const expected: Buffer[] = [];
    async function* refilled() {
      for (let n = 0; n < 40; n++) {
        reused.fill(n + 1);
        expected.push(Buffer.from(reused));
        yield reused;
      }
    }
    const res = await store.put('recordings/reused.wav', refilled(), { contentType: 'audio/wav' });
    const all = Buffer.concat(expected);
    expect(res.size).toBe(all.length);
    expect(res.sha256).toBe(createHash('sha256').update(all).digest('hex'));
    expect((await readAll(await store.get(res.key))).equals(all)).toBe(true);
  });

  it('creates a directory (and the root) again when it was removed after an earlier put', async () => {
    await store.put('recordings/2025/03/a.wav', Buffer.from('a'), { contentType: 'audio/wav' });
    fs.rmSync(store.root, { recursive: true, force: true });
    await store.put('recordings/2025/03/b.wav', Buffer.from('b'), { contentType: 'audio/wav' });
    expect((await readAll(await store.get('recordings/2025/03/b.wav'))).toString()).toBe('b');
    expect(await store.list('recordings/')).toEqual(['recordings/2025/03/b.wav']);
  });

  it.each([
    '../escape',
    'a/../../b',
    '/etc/passwd',
    'a//b',
    '.hidden',
    'a/./b',
    'a\\b',
    '',
    'a/b/',
    'x.tmp-123',
    `${'a'.repeat(513)}`,
  ])('rejects the key %p', async key => {
    await expect(store.put(key, Buffer.from('x'), { contentType: 'x' })).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.stat(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });

  it('reports an unusable storage directory as StorageUnavailableError with the path', async () => {
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const broken = new LocalFileBlobStore(path.join(file, 'sub'), { blockingIo });
    const err = await broken.put('a', Buffer.from('x'), { contentType: 'x' }).catch(e => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect(err.message).toContain(file);
    expect(err.code).toBe('ENOTDIR');
    const health = await broken.checkWritable();
    expect(health.ok).toBe(false);
  });

  it('checkWritable reports ok on a healthy directory and refuses below the free-space floor', async () => {
    expect(await store.checkWritable()).toEqual({ ok: true });
    const picky = new LocalFileBlobStore(store.root, { minFreeBytes: Number.MAX_SAFE_INTEGER, blockingIo });
    const h = await picky.checkWritable();
    expect(h).toMatchObject({ ok: false, error: { message: expect.stringMatching(/bytes free/) } });
  });

  it('reports permission problems (EACCES / EROFS) as StorageUnavailableError', async () => {
    const target = path.join(dir, 'ro');
    fs.mkdirSync(target);
    let mounted = false;
    if (isRoot) {
      // root ignores file modes: use a read-only file system instead
      mounted = tryMount(target, 'ro,size=1m');
      if (!mounted) {
        // eslint-disable-next-line no-console
        console.warn('cannot mount a read-only tmpfs here: EACCES/EROFS case not exercised');
        return;
      }
    } else {
      fs.chmodSync(target, 0o500);
    }
    try {
      const ro = new LocalFileBlobStore(target, { blockingIo });
      const err = await ro.put('a/b', Buffer.from('x'), { contentType: 'x' }).catch(e => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(['EACCES', 'EROFS']).toContain(err.code);
      expect(err.message).toContain(target);
      expect((await ro.checkWritable()).ok).toBe(false);
    } finally {
      if (mounted) execFileSync('umount', [target]);
      else fs.chmodSync(target, 0o700);
    }
  });

  it('reports a full disk (ENOSPC) as StorageUnavailableError and leaves no partial blob', async () => {
    const target = path.join(dir, 'small');
    fs.mkdirSync(target);
    if (!isRoot || !tryMount(target, 'size=256k')) {
      // eslint-disable-next-line no-console
      console.warn('cannot mount a small tmpfs here (needs root): ENOSPC case not exercised');
      return;
    }
    try {
      const small = new LocalFileBlobStore(target, { minFreeBytes: 0, blockingIo });
      const err = await small.put('big', Buffer.alloc(1024 * 1024, 1), { contentType: 'x' }).catch(e => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err.code).toBe('ENOSPC');
      expect(err.message).toMatch(/disk is full/);
      expect(err.message).toContain(target);
      expect(fs.readdirSync(target)).toEqual([]);
      expect(await small.stat('big')).toBeUndefined();
    } finally {
      execFileSync('umount', [target]);
    }
  });
});
