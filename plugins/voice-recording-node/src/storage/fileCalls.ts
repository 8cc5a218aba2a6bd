/*
 * The file-system calls of LocalFileBlobStore, in two flavours with one interface:
 *
 * - `asyncFileCalls` (the default): node:fs/promises, run on libuv's thread pool. Right
 *   on an event loop that must not block (SIP and RTP on the recorder's main thread).
 * - `blockingFileCalls`: the synchronous calls, made on the calling thread. Right on a
 *   worker thread whose only job is this work (the Opus encoder threads at nice 19): the
 *   pool is shared by the whole process and runs at normal priority next to SIP and RTP,
 *   so there every read, write and fsync of a background job would take CPU from them
 *   and wake a pool thread per call. Blocking, they stay on the worker, at its priority.
 *
 * Both report errors the same way (Node's errno errors: `code`, `path`, `syscall`).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface FileStats {
  size: number;
  mtime: Date;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface WritableFile {
  /** bytes written (may be fewer than asked) */
  write(buffer: Buffer, offset: number, length: number): Promise<number>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface DirEntry {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface FileCalls {
  /** true when the calls run on the calling thread */
  readonly blocking: boolean;
  stat(path: string): Promise<FileStats>;
  open(path: string, flags: string, mode?: number): Promise<WritableFile>;
  /** a directory opened for fsync (a rename or unlink in it made durable) */
  syncDirectory(path: string): Promise<void>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** no error when the file does not exist */
  removeIfExists(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<DirEntry[]>;
  /** bytes available to this user */
  freeBytes(path: string): Promise<number>;
  /** the bytes `start..end` (inclusive) of a file, as a stream */
  readStream(path: string, range?: { start: number; end: number }): Readable;
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}

export const asyncFileCalls: FileCalls = {
  blocking: false,
  stat: p => fsp.stat(p),
  async open(p, flags, mode) {
    const h = await fsp.open(p, flags, mode);
    return {
      write: async (b, off, len) => (await h.write(b, off, len)).bytesWritten,
      sync: () => h.sync(),
      close: () => h.close(),
    };
  },
  async syncDirectory(p) {
    const h = await fsp.open(p, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  },
  readFile: p => fsp.readFile(p, 'utf8'),
  writeFile: (p, data) => fsp.writeFile(p, data),
  rename: (a, b) => fsp.rename(a, b),
  unlink: p => fsp.unlink(p),
  // unlink, not rm({ force }): rm lstat's first and goes through its JS rimraf
  removeIfExists: p => fsp.unlink(p).catch(ignoreMissing),
  mkdir: async p => {
    await fsp.mkdir(p);
  },
  readdir: p => fsp.readdir(p, { withFileTypes: true }),
  async freeBytes(p) {
    const st = await fsp.statfs(p);
    return st.bavail * st.bsize;
  },
  readStream: (p, range) => fs.createReadStream(p, range),
};

/** A synchronous call as a promise: settled before it is returned, errors as rejections. */
function now<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** chunk size of blocking reads (the same as fs.createReadStream's highWaterMark) */
const READ_CHUNK = 64 * 1024;

function* readChunks(path: string, range?: { start: number; end: number }): Generator<Buffer> {
  const fd = fs.openSync(path, 'r');
  try {
    let position = range?.start ?? 0;
    const end = range ? range.end + 1 : Infinity;
    while (position < end) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - position));
      const n = fs.readSync(fd, buf, 0, buf.length, position);
      if (n === 0) break;
      position += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export const blockingFileCalls: FileCalls = {
  blocking: true,
  stat: p => now(() => fs.statSync(p)),
  open: (p, flags, mode) =>
    now(() => {
      const fd = fs.openSync(p, flags, mode);
      let closed = false;
      return {
        write: (b, off, len) => now(() => fs.writeSync(fd, b, off, len)),
        sync: () => now(() => fs.fsyncSync(fd)),
        close: () =>
          now(() => {
            if (closed) return;
            closed = true;
            fs.closeSync(fd);
          }),
      };
    }),
  syncDirectory: p =>
    now(() => {
      const fd = fs.openSync(p, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }),
  readFile: p => now(() => fs.readFileSync(p, 'utf8')),
  writeFile: (p, data) => now(() => fs.writeFileSync(p, data)),
  rename: (a, b) => now(() => fs.renameSync(a, b)),
  unlink: p => now(() => fs.unlinkSync(p)),
  removeIfExists: p =>
    now(() => {
      try {
        fs.unlinkSync(p);
      } catch (e) {
        ignoreMissing(e);
      }
    }),
  mkdir: p => now(() => void fs.mkdirSync(p)),
  readdir: p => now(() => fs.readdirSync(p, { withFileTypes: true })),
  freeBytes: p =>
    now(() => {
      const st = fs.statfsSync(p);
      return st.bavail * st.bsize;
    }),
  // opened and read chunk by chunk as the stream is consumed (the open error surfaces on the first read)
  readStream: (p, range) => Readable.from(readChunks(p, range), { objectMode: false }),
};
