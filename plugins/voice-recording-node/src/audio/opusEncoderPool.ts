/*
 * Ogg/Opus encoding on worker threads.
 *
 * libopus is the most expensive part of archiving a call (~3 ms of CPU per second of
 * stereo call at complexity 0, ~7 ms at 5, WASM build): several times the cost of
 * receiving the call's RTP. Run on the event loop, a burst of calls ending together
 * delays SIP answers and RTP reads for seconds. The pool moves the encoders to worker
 * threads: the event loop only renders the PCM timeline and ships it (one transfer
 * per second of audio), and the other cores do the encoding.
 *
 * Each writer lives on one worker (its encoder state is there); requests of one writer
 * are answered in order. A worker that dies fails the writers it held (their journals
 * stay for a retry) and is replaced for new writers.
 */
import { availableParallelism } from 'node:os';
import { MessagePort, Worker, isMainThread, parentPort } from 'node:worker_threads';
import { OggOpusWriter, OggOpusWriterOptions } from './opusFile';
import { BlobStore, LocalFileBlobStore } from '../storage/BlobStore';
import { EncryptedBlobStore } from '../storage/EncryptedBlobStore';
import { RawKeyMaterial, StaticKeyEncryptionKeys } from '../storage/KeyEncryptionKeys';
import { WavEncoding, decodeWavSamples } from './wav';
import { WavToOpusError, WavToOpusJob, WavToOpusResult, transcodeWavToOpus } from './wavToOpus';

/** The asynchronous face of an Ogg/Opus writer (on a worker or in-thread). */
export interface OggOpusEncoding {
  /** Encode interleaved PCM; resolves with the Ogg bytes produced so far. */
  write(pcm: Int16Array): Promise<Buffer[]>;
  /**
   * Encode WAV sample bytes (interleaved, whole samples), decoded where the encoder runs:
   * on a pool, the calling thread only copies the bytes.
   */
  writeSamples(encoding: WavEncoding, bytes: Uint8Array): Promise<Buffer[]>;
  /** Flush and close the stream (exact final granule), release the encoder. */
  end(): Promise<Buffer[]>;
  /** Release the encoder without finishing (error paths); never throws. */
  abort(): void;
}

export interface OpusEncoderPoolOptions {
  /**
   * Worker threads (default: one less than the available cores, at least 1).
   * 0 encodes on the calling thread.
   */
  threads?: number;
  /**
   * Scheduling priority (nice value, 0..19) of the encoder threads, set per thread (Linux
   * keeps the nice value per thread): 19 lets them use only CPU time that the recorder's
   * own threads (SIP, RTP) leave idle. Default 0. Ignored where the OS refuses it.
   */
  niceness?: number;
}

type Request =
  | { op: 'open'; id: number; options: OggOpusWriterOptions }
  | { op: 'write'; id: number; pcm: Int16Array }
  | { op: 'samples'; id: number; encoding: WavEncoding; bytes: Uint8Array }
  | { op: 'end'; id: number }
  | { op: 'abort'; id: number }
  | { op: 'transcode'; id: number; store: ThreadStore; job: WavToOpusJob }
  | { op: 'cancel'; id: number };

/** How an encoder thread opens the store: local files, maybe encrypted (docs/encryption.md). */
interface ThreadStore {
  root: string;
  minFreeBytes: number;
  /** the key material stays in this process: the thread is one of its own */
  encryption?: { keys: RawKeyMaterial; segmentSize: number; encryptNewBlobs: boolean };
}

/** A store an encoder thread can open itself: local files, plain or encrypted with in-memory keys. */
export type ThreadableBlobStore = LocalFileBlobStore | EncryptedBlobStore;

/** `store` when an encoder thread can open it itself (see transcodeWav), else undefined. */
export function threadableStore(store: BlobStore): ThreadableBlobStore | undefined {
  if (store instanceof LocalFileBlobStore) return store;
  if (store instanceof EncryptedBlobStore && store.inner instanceof LocalFileBlobStore && store.keys instanceof StaticKeyEncryptionKeys) {
    return store;
  }
  return undefined;
}

function threadStoreOf(store: ThreadableBlobStore): ThreadStore {
  if (store instanceof LocalFileBlobStore) return { root: store.root, minFreeBytes: store.minFreeBytes };
  const inner = store.inner as LocalFileBlobStore;
  return {
    root: inner.root,
    minFreeBytes: inner.minFreeBytes,
    encryption: {
      keys: (store.keys as StaticKeyEncryptionKeys).exportRaw(),
      segmentSize: store.segmentSize,
      encryptNewBlobs: store.encryptNewBlobs,
    },
  };
}

type Reply = {
  id: number;
  pages?: Uint8Array[];
  result?: WavToOpusResult;
  error?: string;
  /** WavToOpusError's code, to rebuild it on the calling side */
  errorCode?: WavToOpusError['code'];
};

/** A WAV → Opus job running on an encoder thread. */
export interface WavTranscode {
  result: Promise<WavToOpusResult>;
  /** stop it: `result` rejects (WavToOpusError `cancelled`) and nothing is stored */
  cancel(): void;
}

/** In-thread adapter (threads: 0, or a caller without a pool). */
export function inThreadOggOpusEncoding(options: OggOpusWriterOptions): OggOpusEncoding {
  const writer = new OggOpusWriter(options);
  return {
    write: async pcm => writer.write(pcm),
    writeSamples: async (encoding, bytes) => writer.write(decodeWavSamples(encoding, bytes)),
    end: async () => writer.end(),
    abort: () => writer.abort(),
  };
}

interface Pending {
  resolve(value: Buffer[] | WavToOpusResult): void;
  reject(error: Error): void;
}

class PoolWorker {
  readonly worker: Worker;
  /** replies are FIFO per writer */
  readonly waiting = new Map<number, Pending[]>();
  writers = 0;
  /** requests waiting for a reply: the worker keeps the process alive only while > 0 */
  private outstanding = 0;
  dead?: Error;

  constructor(niceness: number) {
    const entry = __filename;
    // Under ts sources (development, tests) the worker needs the same TypeScript
    // loader as the backend; a built package loads its compiled file directly.
    const preload = /\.tsx?$/.test(entry)
      ? [require.resolve('@backstage/cli/config/nodeTransform.cjs')]
      : [];
    const source = [
      "const { workerData } = require('node:worker_threads');",
      // pid 0 = this thread only (Linux: nice values are per thread)
      "if (workerData.niceness) { try { require('node:os').setPriority(0, workerData.niceness); } catch {} }",
      'for (const p of workerData.preload) require(p);',
      'require(workerData.entry).runOpusEncoderWorker();',
    ].join('\n');
    this.worker = new Worker(source, {
      eval: true,
      workerData: { entry, preload, niceness },
    });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.onReply(reply));
    this.worker.on('error', e => this.fail(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', code => this.fail(new Error(`Opus encoder worker exited with code ${code}`)));
  }

  private onReply(reply: Reply) {
    // every reply answers one request that expected it (even one whose writer was aborted)
    if (--this.outstanding === 0) this.worker.unref();
    const queue = this.waiting.get(reply.id);
    const p = queue?.shift();
    if (!p) return;
    if (reply.error !== undefined) p.reject(reply.errorCode ? new WavToOpusError(reply.error, reply.errorCode) : new Error(reply.error));
    else if (reply.result) p.resolve(reply.result);
    else p.resolve((reply.pages ?? []).map(u => Buffer.from(u.buffer, u.byteOffset, u.byteLength)));
  }

  private fail(error: Error) {
    if (this.dead) return;
    this.dead = error;
    for (const queue of this.waiting.values()) for (const p of queue.splice(0)) p.reject(error);
  }

  request<T = Buffer[]>(req: Request, expectReply: boolean): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const promise = expectReply
      ? new Promise<T>((resolve, reject) => {
          const queue = this.waiting.get(req.id) ?? [];
          queue.push({ resolve: resolve as Pending['resolve'], reject });
          this.waiting.set(req.id, queue);
        })
      : Promise.resolve([] as unknown as T);
    // an idle worker does not keep the process alive; one with work to answer does
    if (expectReply && this.outstanding++ === 0) this.worker.ref();
    if (req.op === 'write') {
      // copy into a buffer of our own and hand it over without a second copy
      const pcm = req.pcm.slice();
      this.worker.postMessage({ ...req, pcm }, [pcm.buffer]);
    } else if (req.op === 'samples') {
      // a copy of our own (Buffer#slice would share, and transferring would detach, the caller's memory)
      const bytes = new Uint8Array(req.bytes);
      this.worker.postMessage({ ...req, bytes }, [bytes.buffer]);
    } else {
      this.worker.postMessage(req);
    }
    return promise;
  }
}

/**
 * A pool of Opus encoder threads. `createWriter` is cheap; the encoder is created on
 * the least busy worker. `close()` terminates the workers (pending writes fail).
 */
export class OpusEncoderPool {
  readonly threads: number;
  readonly niceness: number;
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: OpusEncoderPoolOptions = {}) {
    const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(threads) || threads < 0 || threads > 64) {
      throw new RangeError(`Opus encoder threads must be an integer 0..64, got ${threads}`);
    }
    this.threads = threads;
    const niceness = options.niceness ?? 0;
    if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19) {
      throw new RangeError(`Opus encoder niceness must be an integer 0..19, got ${niceness}`);
    }
    this.niceness = niceness;
  }

  private pick(): PoolWorker {
    for (let i = this.workers.length - 1; i >= 0; i--) {
      if (this.workers[i].dead) this.workers.splice(i, 1);
    }
    if (this.workers.length < this.threads) {
      const w = new PoolWorker(this.niceness);
      this.workers.push(w);
      return w;
    }
    return this.workers.reduce((a, b) => (b.writers < a.writers ? b : a));
  }

  /** A writer on a worker thread (or in-thread when the pool has 0 threads). */
  createWriter(options: OggOpusWriterOptions): OggOpusEncoding {
    if (this.closed) throw new Error('Opus encoder pool is closed');
    if (this.threads === 0) return inThreadOggOpusEncoding(options);
    const worker = this.pick();
    const id = this.nextId++;
    worker.writers++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      worker.writers--;
      worker.waiting.delete(id);
    };
    // `open` errors (bad options) surface on the first write or end
    const opened = worker.request({ op: 'open', id, options }, true);
    opened.catch(() => undefined);
    return {
      write: async pcm => {
        await opened;
        return worker.request({ op: 'write', id, pcm }, true);
      },
      writeSamples: async (encoding, bytes) => {
        await opened;
        return worker.request({ op: 'samples', id, encoding, bytes }, true);
      },
      end: async () => {
        try {
          await opened;
          return await worker.request({ op: 'end', id }, true);
        } finally {
          finish();
        }
      },
      abort: () => {
        if (done) return;
        if (!worker.dead) worker.request({ op: 'abort', id }, false).catch(() => undefined);
        finish();
      },
    };
  }

  /**
   * Transcodes a stored WAV to Ogg/Opus entirely on an encoder thread (reading, decoding,
   * encoding, hashing and the atomic write), with a LocalFileBlobStore of its own on the
   * same root: the calling thread only waits. See transcodeWavToOpus.
   */
  transcodeWav(store: ThreadableBlobStore, job: WavToOpusJob): WavTranscode {
    if (this.closed) throw new Error('Opus encoder pool is closed');
    if (this.threads === 0) {
      let cancelled = false;
      return {
        result: transcodeWavToOpus(store, job, inThreadOggOpusEncoding, () => cancelled),
        cancel: () => {
          cancelled = true;
        },
      };
    }
    const worker = this.pick();
    const id = this.nextId++;
    worker.writers++;
    const result = worker
      .request<WavToOpusResult>({ op: 'transcode', id, store: threadStoreOf(store), job }, true)
      .finally(() => {
        worker.writers--;
        worker.waiting.delete(id);
      });
    return {
      result,
      cancel: () => {
        if (!worker.dead) worker.request({ op: 'cancel', id }, false).catch(() => undefined);
      },
    };
  }

  /** Workers alive (for metrics and tests). */
  get liveWorkers(): number {
    return this.workers.filter(w => !w.dead).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    await Promise.all(workers.map(w => w.worker.terminate()));
  }
}

/**
 * Worker thread side: one OggOpusWriter per writer id. Exported for the pool's
 * bootstrap only.
 */
export function runOpusEncoderWorker(port: MessagePort | null = parentPort): void {
  if (isMainThread || !port) throw new Error('runOpusEncoderWorker runs on an encoder worker thread only');
  const writers = new Map<number, OggOpusWriter>();
  const stores = new Map<string, BlobStore>();
  const cancelled = new Set<number>();
  const reply = (id: number, pages: Buffer[]) => {
    // one contiguous buffer per reply, transferred
    const joined = new Uint8Array(Buffer.concat(pages));
    port.postMessage({ id, pages: [joined] } satisfies Reply, [joined.buffer]);
  };
  port.on('message', (req: Request) => {
    if (req.op === 'cancel') {
      cancelled.add(req.id);
      return;
    }
    if (req.op === 'transcode') {
      const key = JSON.stringify(req.store);
      let store = stores.get(key);
      if (!store) {
        // blocking file calls: this thread's reads, writes and fsyncs stay on it, at its
        // nice value, instead of on libuv's pool that SIP and RTP share (see fileCalls.ts)
        const local = new LocalFileBlobStore(req.store.root, { minFreeBytes: req.store.minFreeBytes, blockingIo: true });
        const enc = req.store.encryption;
        // encrypted at rest: the thread decrypts the WAV and encrypts the Opus file itself
        store = enc
          ? new EncryptedBlobStore(local, StaticKeyEncryptionKeys.fromRaw(enc.keys), {
              segmentSize: enc.segmentSize,
              encryptNewBlobs: enc.encryptNewBlobs,
            })
          : local;
        stores.set(key, store);
      }
      transcodeWavToOpus(store, req.job, inThreadOggOpusEncoding, () => cancelled.has(req.id)).then(
        result => port.postMessage({ id: req.id, result } satisfies Reply),
        (e: Error) =>
          port.postMessage({
            id: req.id,
            error: e.message,
            ...(e instanceof WavToOpusError ? { errorCode: e.code } : {}),
          } satisfies Reply),
      ).finally(() => cancelled.delete(req.id));
      return;
    }
    try {
      if (req.op === 'open') {
        writers.set(req.id, new OggOpusWriter(req.options));
        port.postMessage({ id: req.id, pages: [] } satisfies Reply);
        return;
      }
      const writer = writers.get(req.id);
      if (req.op === 'abort') {
        writer?.abort();
        writers.delete(req.id);
        return;
      }
      if (!writer) throw new Error(`Opus writer ${req.id} is not open on this worker`);
      if (req.op === 'write') {
        reply(req.id, writer.write(req.pcm));
      } else if (req.op === 'samples') {
        reply(req.id, writer.write(decodeWavSamples(req.encoding, req.bytes)));
      } else {
        writers.delete(req.id);
        reply(req.id, writer.end());
      }
    } catch (e) {
      if (req.op !== 'open' && req.op !== 'abort') {
        writers.get(req.id)?.abort();
        writers.delete(req.id);
      }
      if (req.op !== 'abort') port.postMessage({ id: req.id, error: (e as Error).message } satisfies Reply);
    }
  });
}
