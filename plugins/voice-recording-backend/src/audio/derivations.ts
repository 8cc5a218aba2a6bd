/*
 * Derived audio (waveform peaks, 16-bit WAV, MP3) computed on a worker thread.
 *
 * Each derivation decodes the whole recording: about 4 s of CPU for one hour of Opus
 * (WASM libopus), more with the MP3 encoder. On the event loop that blocks every other
 * request for as long: opening the page of a one-hour call (which asks for its
 * waveform) held the audio requests of the playback start for 4-7 s. The worker keeps
 * the event loop free; the audio route only reads files.
 *
 * One worker thread, started on the first job, ended after a minute without work; jobs
 * are queued in order. On Linux the thread runs at nice 10, so that under CPU contention
 * the event loop (and, on a shared machine, the browser) goes first. A worker that dies
 * fails the jobs it held and is replaced on the next job.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { encodeMp3, Mp3Tags } from './mp3';
import { decodeStored, StoredKind, toWavPcm16 } from './pcm';
import { computePeaks } from './waveform';

export type AudioDerivation =
  | { op: 'waveform'; kind: StoredKind; points: number }
  | { op: 'wav'; kind: StoredKind }
  | { op: 'mp3'; kind: StoredKind; tags: Mp3Tags; kbps: number };

export interface DerivedAudio {
  /** `wav`, `mp3`: the file. */
  bytes?: Uint8Array;
  /** `waveform`: peaks of the left and right channels, 0..1. */
  peaks?: number[][];
  /** Duration of the decoded audio. */
  durationMs: number;
  /** CPU time of the derivation (decode + encode). */
  workMs: number;
}

/** One derivation on the calling thread (the worker runs this). */
export function deriveAudio(
  file: Uint8Array,
  job: AudioDerivation,
): DerivedAudio {
  const started = performance.now();
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (job.op === 'mp3') {
    const r = encodeMp3(decodeStored(buf, job.kind, 16000), job.tags, job.kbps);
    return {
      bytes: r.mp3,
      durationMs: r.durationMs,
      workMs: performance.now() - started,
    };
  }
  const pcm = decodeStored(buf, job.kind, 8000);
  const durationMs = Math.round((pcm.left.length * 1000) / pcm.sampleRate);
  if (job.op === 'wav') {
    return {
      bytes: toWavPcm16(pcm),
      durationMs,
      workMs: performance.now() - started,
    };
  }
  if (job.op === 'waveform') {
    return {
      peaks: computePeaks(pcm, job.points),
      durationMs,
      workMs: performance.now() - started,
    };
  }
  throw new Error(
    `unknown audio derivation ${JSON.stringify((job as { op: unknown }).op)}`,
  );
}

/** The buffer of `u` when `u` owns all of it (then it can be transferred, not copied). */
function ownBuffer(u: Uint8Array): ArrayBuffer[] {
  return u.byteOffset === 0 &&
    u.byteLength === u.buffer.byteLength &&
    u.buffer instanceof ArrayBuffer
    ? [u.buffer]
    : [];
}

type Request = { id: number; file: Uint8Array; job: AudioDerivation };
type Reply = { id: number; result?: DerivedAudio; error?: string };

/** Nice value of the worker thread: the event loop and the browsers come first. */
export const DERIVATION_THREAD_NICE = 10;

/**
 * Lowers the calling thread's CPU priority (Linux: `setpriority` on the thread id read
 * from /proc/thread-self). Elsewhere, or when refused, it leaves it as it is.
 * Returns the thread's nice value when it was set.
 */
export function lowerThreadPriority(nice: number): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}

/**
 * Entry of the worker thread (loaded by `AudioDerivations`; exported by the package
 * index so that a built package keeps it in its compiled module, which the worker
 * loads). Not for adopters: it only runs on that worker thread.
 *
 * @public
 */
export function runAudioDerivationWorker() {
  if (isMainThread || !parentPort) {
    throw new Error('runAudioDerivationWorker runs on a worker thread only');
  }
  // A derivation may take seconds of CPU: when the cores are busy, the requests of
  // the event loop (audio for a playback start among them) go first.
  lowerThreadPriority(DERIVATION_THREAD_NICE);
  const port = parentPort;
  port.on('message', (req: Request) => {
    let reply: Reply;
    let transfer: ArrayBuffer[] = [];
    try {
      const result = deriveAudio(req.file, req.job);
      reply = { id: req.id, result };
      if (result.bytes) transfer = ownBuffer(result.bytes);
    } catch (e) {
      reply = { id: req.id, error: (e as Error)?.message ?? String(e) };
    }
    port.postMessage(reply, transfer);
  });
}

interface Pending {
  resolve(r: DerivedAudio): void;
  reject(e: Error): void;
}

export interface AudioDerivationsOptions {
  /** 0 runs the derivations on the calling thread (blocking it); default 1. */
  threads?: 0 | 1;
  /** End the worker after this long without a job (default 60 s). */
  idleMs?: number;
}

/** Runs derivations on a worker thread (see the file comment). */
export class AudioDerivations {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer?: ReturnType<typeof setTimeout>;
  private readonly threads: 0 | 1;
  private readonly idleMs: number;

  constructor(options: AudioDerivationsOptions = {}) {
    this.threads = options.threads ?? 1;
    this.idleMs = options.idleMs ?? 60_000;
  }

  /**
   * Derives from the stored `file` (its buffer is handed over to the worker: do not
   * use `file` afterwards).
   */
  async run(file: Buffer, job: AudioDerivation): Promise<DerivedAudio> {
    if (this.threads === 0) return deriveAudio(file, job);
    const worker = this.start();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const id = this.nextId++;
    const result = new Promise<DerivedAudio>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    const request: Request = { id, file, job };
    worker.postMessage(request, ownBuffer(file));
    return result;
  }

  /** Ends the worker (jobs still running fail); a later job starts a new one. */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = undefined;
    const closed = new Error('audio derivation worker closed (terminated)');
    for (const p of this.pending.values()) p.reject(closed);
    this.pending.clear();
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const entry = __filename;
    // Under TypeScript sources (development, tests) the worker needs the backend's
    // TypeScript loader; a built package loads its compiled file directly.
    const preload = /\.tsx?$/.test(entry)
      ? [require.resolve('@backstage/cli/config/nodeTransform.cjs')]
      : [];
    const source = [
      "const { workerData } = require('node:worker_threads');",
      'for (const p of workerData.preload) require(p);',
      'require(workerData.entry).runAudioDerivationWorker();',
    ].join('\n');
    const worker = new Worker(source, {
      eval: true,
      workerData: { entry, preload },
      env: process.env,
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined || !reply.result) {
        p.reject(new Error(reply.error ?? 'audio derivation: no result'));
      } else {
        const r = reply.result;
        p.resolve({
          ...r,
          bytes: r.bytes
            ? Buffer.from(
                r.bytes.buffer,
                r.bytes.byteOffset,
                r.bytes.byteLength,
              )
            : undefined,
        });
      }
      if (this.pending.size === 0) this.idleLater(worker);
    });
    const fail = (e: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', e =>
      fail(e instanceof Error ? e : new Error(String(e))),
    );
    worker.on('exit', code =>
      fail(new Error(`audio derivation worker exited with code ${code}`)),
    );
    this.worker = worker;
    return worker;
  }

  private idleLater(worker: Worker) {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.worker === worker && this.pending.size === 0) {
        this.worker = undefined;
        worker.terminate().catch(() => undefined);
      }
    }, this.idleMs);
    this.idleTimer.unref();
  }
}
