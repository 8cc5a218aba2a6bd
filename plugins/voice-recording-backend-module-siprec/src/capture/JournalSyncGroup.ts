/*
 * Group commit of the call journals: every journal of the recorder writes its second of
 * audio into the page cache, then one syncfs(2) of the journal directory's file system
 * makes all of those writes durable together.
 *
 * Without it each journal is opened with O_DSYNC and every call's flush is its own wait
 * for the disk: 400 calls are 400 durable writes a second, each a hand-over to a libuv
 * thread, a blocked write and a wake-up (docs/recorder.md, "Call journals: one sync for
 * all calls"). Here the journals are flushed from one ticker, spread over `slices` ticks per
 * flush interval (a journal still reaches the disk every `flushIntervalMs`), the writes are
 * made at once on the event loop (page-cache copies, microseconds), and the journals of a
 * tick wait for the same syncfs, which runs on libuv's pool.
 *
 * sync() resolves after a syncfs that started after it was called, so whatever the caller
 * wrote before calling it is on the disk; a syncfs error (EIO, ENOSPC on a file system that
 * reports it then) rejects every waiter of that round, and each journal keeps its records
 * and retries as it does for a failed write.
 *
 * syncfs makes the whole file system durable, other files' dirty pages included: the
 * journal directory belongs on a file system of its own or one the recorder shares with
 * little else (the archive, SQLite). `storage.journalSync: file` goes back to a durable
 * write per journal (docs/configuration.md).
 */
import * as fs from 'node:fs/promises';

export interface JournalSyncGroupOptions {
  /** the journal directory: its file system is the one synced */
  dir: string;
  /** each joined journal is flushed this often (CallJournalOptions.flushIntervalMs) */
  flushIntervalMs: number;
  /** ticks per flush interval over which the journals are spread (default 4) */
  slices?: number;
  /** syncfs(2) of the file system holding `fd` (the native addon's, src/media/nativeRtp.ts) */
  syncfs: (fd: number) => Promise<void>;
}

export interface JournalSyncGroupStats {
  /** syncfs calls made */
  rounds: number;
  /** sync() calls answered (journal flushes made durable) */
  waiters: number;
  /** syncfs calls that failed */
  failures: number;
  /** journals joined now */
  journals: number;
}

interface Round {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
  waiters: number;
}

export class JournalSyncGroup {
  private readonly slices: number;
  private readonly buckets: Array<Set<() => void>>;
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  /** the round waiters join: not started yet */
  private next: Round | undefined;
  /** the round in flight (its syncfs), settled when it is done */
  private running: Promise<void> | undefined;
  private dirHandle: fs.FileHandle | undefined;
  private opening: Promise<fs.FileHandle> | undefined;
  private readonly counts = { rounds: 0, waiters: 0, failures: 0 };

  constructor(private readonly options: JournalSyncGroupOptions) {
    const slices = options.slices ?? 4;
    if (!Number.isInteger(slices) || slices < 1) throw new RangeError(`JournalSyncGroup: slices must be a positive integer, got ${slices}`);
    if (!(options.flushIntervalMs > 0)) throw new RangeError(`JournalSyncGroup: flushIntervalMs must be positive, got ${options.flushIntervalMs}`);
    this.slices = slices;
    this.buckets = Array.from({ length: slices }, () => new Set<() => void>());
  }

  get stats(): JournalSyncGroupStats {
    return { ...this.counts, journals: this.buckets.reduce((a, b) => a + b.size, 0) };
  }

  /**
   * A journal's periodic flush, called every flushIntervalMs from the group's ticker (in
   * the slice with the fewest journals). Returns the function that leaves the group.
   */
  join(flush: () => void): () => void {
    let bucket = this.buckets[0];
    for (const b of this.buckets) if (b.size < bucket.size) bucket = b;
    bucket.add(flush);
    if (!this.timer) {
      this.timer = setInterval(() => this.onTick(), this.options.flushIntervalMs / this.slices);
      this.timer.unref();
    }
    return () => {
      bucket.delete(flush);
      if (this.timer && this.buckets.every(b => b.size === 0)) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private onTick(): void {
    const bucket = this.buckets[this.tick++ % this.slices];
    for (const flush of bucket) flush();
  }

  /**
   * Resolves once a syncfs that started after this call returned: what the caller wrote
   * before is on the disk. Calls made in the same turn of the event loop share it.
   */
  sync(): Promise<void> {
    if (!this.next) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.next = { promise, resolve, reject, waiters: 0 };
      // after the rest of this turn (the other journals of the tick write first)
      if (!this.running) setImmediate(() => this.startRound());
    }
    this.next.waiters++;
    return this.next.promise;
  }

  private startRound(): void {
    const round = this.next;
    if (!round || this.running) return;
    this.next = undefined;
    this.counts.rounds++;
    this.counts.waiters += round.waiters;
    this.running = this.directory()
      .then(h => this.options.syncfs(h.fd))
      .then(round.resolve, e => {
        this.counts.failures++;
        round.reject(e);
      })
      .finally(() => {
        this.running = undefined;
        // waiters that came while it ran: their writes may be after its start
        if (this.next) setImmediate(() => this.startRound());
      });
  }

  private directory(): Promise<fs.FileHandle> {
    if (this.dirHandle) return Promise.resolve(this.dirHandle);
    this.opening ??= fs.open(this.options.dir, 'r').then(
      h => {
        this.dirHandle = h;
        this.opening = undefined;
        return h;
      },
      e => {
        this.opening = undefined;
        throw e;
      },
    );
    return this.opening;
  }

  /**
   * Stops the ticker and releases the directory once the rounds in flight are done (the
   * recorder's stop, after its calls' journals closed). A journal that still flushes
   * after it gets its round as before: the directory is opened again.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // the round in flight, then the one its late waiters started
    for (let round = this.running ?? this.next?.promise; round; round = this.running ?? this.next?.promise) {
      await round.catch(() => undefined);
    }
    const h = this.dirHandle;
    this.dirHandle = undefined;
    await h?.close();
  }
}
