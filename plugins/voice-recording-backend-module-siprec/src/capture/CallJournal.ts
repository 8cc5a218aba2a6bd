/*
 * Append-only journal of one call: everything needed to rebuild the recording
 * after the call ends, or after a crash (see recovery.ts and finalize.ts).
 *
 * Appends are synchronous and only touch memory; a timer writes the buffered
 * records at least every `flushIntervalMs` (default 1 s), so a crash loses at most
 * that much audio. On its own, the file is opened with O_DSYNC: the flush's one writev
 * returns once its bytes are on the disk (as writev + fdatasync would, with one call to
 * libuv's pool instead of two). In a JournalSyncGroup (the recorder's default where the
 * native addon loads) the file is opened without it, the group's ticker flushes it, the
 * writev goes to the page cache at once and one syncfs makes every journal of the tick
 * durable together (JournalSyncGroup.ts). One file descriptor per active call, closed by
 * end()/close().
 *
 * Consecutive frames of a channel (each one starting where the last one ended) are
 * copied into one buffer and written as a single audio record per flush: about two
 * records per call and second instead of one per RTP packet. That keeps the per-packet
 * work to one copy (no allocation that lives until the flush, which the garbage
 * collector would have to promote and later collect), one CRC per second instead of
 * one per packet, and makes the scan at the call's end as cheap.
 *
 * When the disk cannot take a flush (full, read-only...), the records stay in memory
 * and the flush is retried after 1 s, 2 s, 4 s, then every `maxRetryMs` (nothing else
 * retries meanwhile: no flush per frame past `maxBufferedBytes`). Up to
 * `maxPendingBytes` per call are kept; frames beyond that budget are dropped and what was
 * dropped, per channel and to the sample, is written as a Dropped record once the disk
 * takes it. end() and close() wait for everything, the end record included, to be on
 * disk, retrying as above; only an abort signal (the recorder's stop) makes them give
 * up, and `lost` then says what never reached the disk.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, writeSync, writevSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { endianness } from 'node:os';
import * as nodePath from 'node:path';
import {
  AUDIO_BODY_HEADER,
  ChannelEncoding,
  DroppedAudio,
  DtmfEvent,
  ENCODING_BY_CODE,
  JOURNAL_EXTENSION,
  JOURNAL_MAGIC,
  JournalChannel,
  JournalEnd,
  JournalHeader,
  MAX_RECORD_BYTES,
  QualityCounters,
  RECORD_HEADER_BYTES,
  RECORD_SYNC,
  RecordType,
  bytesPerSample,
  encodeAudioRecordHeader,
  encodeJsonRecord,
  recordCrc,
} from './journalFormat';
import { StorageUnavailableError, fsyncDir, mkdirs } from '../storage/BlobStore';
import type { JournalSpares } from './JournalSpares';
import type { JournalSyncGroup } from './JournalSyncGroup';

export * from './journalFormat';

const LITTLE_ENDIAN = endianness() === 'LE';

/** O_DSYNC where the platform has it (Linux, macOS); elsewhere each flush calls fdatasync */
const DSYNC = fsConstants.O_DSYNC ?? 0;

/**
 * How a journal file (or a spare) is created: new (never an existing file), write-only,
 * each write durable when it returns (O_DSYNC).
 */
export const JOURNAL_OPEN_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | DSYNC;

/**
 * The open flags of a journal file: durable writes (O_DSYNC), or `buffered` (for the
 * journals of a JournalSyncGroup, made durable by its syncfs) without O_DSYNC.
 */
export function journalOpenFlags(buffered: boolean): number {
  return buffered ? JOURNAL_OPEN_FLAGS & ~DSYNC : JOURNAL_OPEN_FLAGS;
}
export const JOURNAL_FILE_MODE = 0o640;

/** how often a journal is written by default: a crash loses at most this much of each call */
export const DEFAULT_JOURNAL_FLUSH_MS = 1000;

/** true when a journal's writes are durable by themselves (no fdatasync needed after them) */
export const JOURNAL_WRITES_ARE_SYNCHRONOUS = DSYNC !== 0;

export interface CallJournalOptions {
  /** maximum time buffered records stay in memory (default 1000 ms) */
  flushIntervalMs?: number;
  /** flush early when this many bytes are buffered (default 256 KiB) */
  maxBufferedBytes?: number;
  /**
   * memory budget of the call's buffered records while the disk cannot take them
   * (default 4 MiB: ~4 min of a two-stream G.711 call, ~1 min wideband); audio frames
   * beyond it are dropped and recorded as such (DroppedAudio)
   */
  maxPendingBytes?: number;
  /** longest wait between two attempts of a failing flush (default 5000 ms) */
  maxRetryMs?: number;
  /** called when a flush fails (data stays buffered and is retried): once per attempt */
  onError?: (error: Error) => void;
  /** called when a flush succeeds after failed attempts */
  onRecovered?: (info: { failedForMs: number; attempts: number; droppedSamples: number }) => void;
  /**
   * called as each flush takes the buffered records, before it writes them: what it
   * appends (the call's figures) is written by the same flush as the audio it describes
   */
  beforeFlush?: () => void;
  /**
   * flush with the other journals of the group, durable by its syncfs (JournalSyncGroup):
   * the file must be opened without O_DSYNC (`reserve` with the same group) for it to pay
   */
  syncGroup?: JournalSyncGroup;
}

/** how `end` and `close` wait for the disk */
export interface CallJournalCloseOptions {
  /** give up waiting for the disk (the recorder stops): `lost` then says what was not written */
  signal?: AbortSignal;
}

export interface CallJournalStart {
  callId: string;
  startedAt?: Date;
  sampleRate?: number;
  channels: JournalChannel[];
  metadata?: unknown;
}

function journalError(action: string, file: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT', 'EIO'].includes(code)) {
    return new StorageUnavailableError(`Call journal unavailable: cannot ${action} ${file} (${code})`, file, code, e);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** A file-system safe, still recognisable name for a call id. */
export function journalFileName(callId: string, startedAt: Date): string {
  const safe = callId.replace(/[^A-Za-z0-9_.@-]/g, '_').replace(/^\.+/, '_').slice(0, 80);
  return `${safe}.${startedAt.getTime()}.${randomBytes(4).toString('hex')}${JOURNAL_EXTENSION}`;
}

/** A journal file created ahead of its call's header (CallJournal.reserve). */
export interface JournalReservation {
  readonly path: string;
  readonly handle: fs.FileHandle;
  /** a spare of JournalSpares: renamed to the call's journal name at the first flush */
  readonly spare?: boolean;
  /** opened without O_DSYNC (for a JournalSyncGroup): each write needs a sync to be durable */
  readonly buffered?: boolean;
}

/** journal directories made (or found) by this process */
const knownDirs = new Set<string>();

/** upper bound of one coalesced audio record's payload */
const MAX_RUN_BYTES = 512 * 1024;

/** A channel's frames since its last record: contiguous on the timeline. */
interface OpenRun {
  readonly channel: number;
  readonly encoding: ChannelEncoding;
  readonly bytesPerSample: number;
  /** timeline offset of the first sample */
  start: number;
  buf: Buffer;
  len: number;
  /** a written record's buffer, free for the run's next record */
  reusable?: Buffer;
}

type ResolvedOptions = Required<Pick<CallJournalOptions, 'flushIntervalMs' | 'maxBufferedBytes' | 'maxPendingBytes' | 'maxRetryMs'>> &
  Pick<CallJournalOptions, 'onError' | 'onRecovered' | 'beforeFlush' | 'syncGroup'>;

/** A range of dropped frames of a channel, and how much of it a durable record reports. */
interface DropRange {
  readonly channel: number;
  readonly fromSamples: number;
  toSamples: number;
  /** end of what durable Dropped records report (fromSamples when none yet) */
  reportedTo: number;
}

export class CallJournal {
  /** whole records waiting for the next flush */
  private pending: Buffer[] = [];
  /** for each entry of `pending`: the run buffer it lies in, given back to its run once written */
  private pendingOwners: Array<{ run: OpenRun; buf: Buffer } | undefined> = [];
  /** bytes of `pending` and of the open runs */
  private pendingBytes = 0;
  /** open runs by channel index */
  private readonly runs: Array<OpenRun | undefined> = [];
  /** bytes written to the file (none until the first flush, which writes the header), synced or not */
  private writtenBytes = 0;
  /** the file's data and its directory entry have been synced at least once */
  private synced = false;
  private flushChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** leaves the sync group's ticker (instead of `timer`) */
  private leaveGroup: (() => void) | undefined;
  /** the file was opened without O_DSYNC: its writes are durable after a sync */
  private buffered = false;
  private closed = false;
  private closing?: Promise<void>;
  private ended = false;
  private lastError: Error | undefined;
  /** a background flush is queued or running (no second one is queued behind it) */
  private flushQueued = false;
  /** the last flush failed: no background flush until the retry timer fires */
  private backingOff = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  /** wakes close() up for its next attempt */
  private retryWaiter: (() => void) | undefined;
  private failedAttempts = 0;
  private failingSince = 0;
  /** frames dropped past the memory budget, in the order they started */
  private readonly drops: DropRange[] = [];
  /** each channel's last drop range (extended while frames keep following it) */
  private readonly lastDrop: Array<DropRange | undefined> = [];
  private droppedSampleCount = 0;
  /** what never reached the disk, when close() gave up */
  private notWritten: DroppedAudio[] = [];
  private readonly channelsByIndex: Map<number, JournalChannel>;
  private lastSampleEnd = 0;
  private durableSampleEnd = 0;

  /** the call's journal name, for a spare file not renamed yet (done by the first flush) */
  private renameTo?: string;

  /** the file; a spare's name until the first flush renames it (see JournalSpares) */
  get path(): string {
    return this.file;
  }

  private constructor(
    private file: string,
    readonly header: JournalHeader,
    private handle: fs.FileHandle | undefined,
    private readonly options: ResolvedOptions,
  ) {
    this.channelsByIndex = new Map(header.channels.map(c => [c.index, c]));
    // a failing disk is retried by the retry timer only
    const tick = () => {
      if (!this.backingOff) this.backgroundFlush();
    };
    if (options.syncGroup) {
      this.leaveGroup = options.syncGroup.join(tick);
    } else {
      this.timer = setInterval(tick, options.flushIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Create a call's (empty) journal file ahead of its header: the recorder does it
   * while the recording decision is being looked up, so that the call's set-up waits
   * for the disk and the database at the same time. Give it to `create`, or
   * `release` it when the call is not recorded. An empty journal file is an abandoned
   * set-up to recovery (deleted).
   */
  static async reserve(
    dir: string,
    callId: string,
    startedAt: Date,
    spares?: JournalSpares,
    syncGroup?: JournalSyncGroup,
  ): Promise<JournalReservation> {
    const spare = spares?.take();
    if (spare) return spare;
    const buffered = syncGroup !== undefined;
    const flags = journalOpenFlags(buffered);
    const file = nodePath.join(dir, journalFileName(callId, startedAt));
    try {
      // the directory is checked once per process, not on every call's set-up
      if (!knownDirs.has(dir)) {
        await mkdirs(dir);
        knownDirs.add(dir);
      }
      try {
        return { path: file, handle: await fs.open(file, flags, JOURNAL_FILE_MODE), buffered };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        // removed since: make it again, once
        knownDirs.delete(dir);
        await mkdirs(dir);
        knownDirs.add(dir);
        return { path: file, handle: await fs.open(file, flags, JOURNAL_FILE_MODE), buffered };
      }
    } catch (e) {
      throw journalError('create call journal', file, e);
    }
  }

  /** Close and delete a reserved journal file that was not used (a spare goes back to `spares`). */
  static async release(reservation: JournalReservation, spares?: JournalSpares): Promise<void> {
    if (spares?.giveBack(reservation)) return;
    await reservation.handle.close().catch(() => undefined);
    await fs.rm(reservation.path, { force: true }).catch(() => undefined);
  }

  /**
   * Create the journal file (or take the reserved one); its header goes to the file
   * with the first flush (see below).
   */
  static async create(
    dir: string,
    start: CallJournalStart,
    options: CallJournalOptions = {},
    reserved?: Promise<JournalReservation>,
  ): Promise<CallJournal> {
    const startedAt = start.startedAt ?? new Date();
    const sampleRate = start.sampleRate ?? 8000;
    const invalid = (message: string) => {
      if (reserved) reserved.then(r => CallJournal.release(r), () => undefined);
      return new Error(message);
    };
    if (start.channels.length === 0) throw invalid(`call ${start.callId}: a journal needs at least one channel`);
    const seen = new Set<number>();
    for (const c of start.channels) {
      if (!Number.isInteger(c.index) || c.index < 0 || c.index > 255 || seen.has(c.index)) {
        throw invalid(`call ${start.callId}: invalid or duplicate channel index ${c.index}`);
      }
      seen.add(c.index);
    }
    const header: JournalHeader = {
      format: 'mvr-call-journal',
      version: 1,
      callId: start.callId,
      startedAt: startedAt.toISOString(),
      sampleRate,
      channels: start.channels,
      metadata: start.metadata,
    };
    const { path: file, handle, spare, buffered } = await (reserved ?? CallJournal.reserve(dir, start.callId, startedAt, undefined, options.syncGroup));
    // The header is written by the first flush, with the first second of audio, within
    // flushIntervalMs: the call's set-up does not wait for the disk. Under load a write
    // to a new file can wait 100 ms and more for the file system's journal (the calls'
    // durable writes keep it committing; measured in bench/README.md, session 6). A process
    // killed before that flush leaves an empty journal file, which recovery deletes, and
    // the conversation row, which it finishes as failed (no audio was durable); either
    // way at most that first second is lost, as for any other second of the call.
    const journal = new CallJournal(file, header, handle, {
      flushIntervalMs: options.flushIntervalMs ?? DEFAULT_JOURNAL_FLUSH_MS,
      maxBufferedBytes: options.maxBufferedBytes ?? 256 * 1024,
      maxPendingBytes: options.maxPendingBytes ?? 4 * 1024 * 1024,
      maxRetryMs: options.maxRetryMs ?? 5000,
      onError: options.onError,
      onRecovered: options.onRecovered,
      beforeFlush: options.beforeFlush,
      syncGroup: options.syncGroup,
    });
    journal.buffered = buffered === true || !JOURNAL_WRITES_ARE_SYNCHRONOUS;
    // a spare takes the call's name before anything is written to it (see JournalSpares)
    if (spare) journal.renameTo = nodePath.join(nodePath.dirname(file), journalFileName(start.callId, startedAt));
    journal.push(Buffer.concat([JOURNAL_MAGIC, encodeJsonRecord(RecordType.Header, header)]));
    return journal;
  }

  /** bytes known to be on disk */
  get flushedBytes(): number {
    return this.synced ? this.writtenBytes : 0;
  }

  /** timeline end (samples) of the last frame known to be on disk */
  get flushedSampleEnd(): number {
    return this.durableSampleEnd;
  }

  /** timeline end (samples) of the last frame appended */
  get sampleEnd(): number {
    return this.lastSampleEnd;
  }

  get error(): Error | undefined {
    return this.lastError;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** bytes of records and audio held in memory, not yet on disk */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** samples (all channels) dropped past the memory budget so far */
  get droppedSamples(): number {
    return this.droppedSampleCount;
  }

  /**
   * The audio this journal did not keep: frames dropped past the memory budget (their
   * Dropped records are in the file once a flush succeeded after them) and, when
   * close() gave up, the frames that were still in memory. Sorted by channel and time.
   */
  get lost(): DroppedAudio[] {
    const out: DroppedAudio[] = this.drops.map(d => ({
      channel: d.channel,
      fromSamples: d.fromSamples,
      toSamples: d.toSamples,
      reason: 'memory-budget' as const,
    }));
    out.push(...this.notWritten);
    return out.sort((a, b) => a.channel - b.channel || a.fromSamples - b.fromSamples);
  }

  private push(rec: Buffer): void {
    if (this.closed) throw new Error(`call journal ${this.path} is closed`);
    this.pending.push(rec);
    this.pendingOwners.push(undefined);
    this.pendingBytes += rec.length;
    this.flushIfFull();
  }

  private flushIfFull(): void {
    // one queued flush at a time, none while a failing disk waits for its retry
    if (this.pendingBytes >= this.options.maxBufferedBytes && !this.flushQueued && !this.backingOff) {
      this.backgroundFlush();
    }
  }

  private backgroundFlush(): void {
    if (this.flushQueued || !this.handle) return;
    this.flushQueued = true;
    this.flush().then(this.flushSettled, this.flushSettled);
  }

  private readonly flushSettled = (): void => {
    this.flushQueued = false;
  };

  /** A frame that does not fit the memory budget: dropped, and remembered to the sample. */
  private drop(channel: number, offsetSamples: number, samples: number): void {
    this.droppedSampleCount += samples;
    const last = this.lastDrop[channel];
    const to = offsetSamples + samples;
    if (last && offsetSamples === last.toSamples) {
      last.toSamples = to;
      return;
    }
    if (last && offsetSamples >= last.fromSamples && to <= last.toSamples) return; // a repeat
    const range: DropRange = { channel, fromSamples: offsetSamples, toSamples: to, reportedTo: offsetSamples };
    this.drops.push(range);
    this.lastDrop[channel] = range;
  }

  /** Turn a channel's open run into a pending audio record (header + its bytes). */
  private closeRun(run: OpenRun): void {
    if (run.len === 0) return;
    const payload = run.buf.subarray(0, run.len);
    const head = encodeAudioRecordHeader(run.channel, run.encoding, run.start, payload);
    this.pending.push(head, payload);
    this.pendingOwners.push(undefined, { run, buf: run.buf });
    this.pendingBytes += head.length;
    // the pending record keeps the old buffer; the run continues in its spare (the
    // buffer of the record written before), so that a call allocates no new buffers
    // while it streams (large allocations drive V8's external-memory garbage collections)
    run.buf = run.reusable && run.reusable.length >= run.buf.length ? run.reusable : Buffer.allocUnsafe(run.buf.length);
    run.reusable = undefined;
    run.len = 0;
  }

  private closeRuns(): void {
    for (const run of this.runs) if (run) this.closeRun(run);
  }

  /**
   * Append one frame of a channel at `offsetSamples` on the call timeline.
   * `payload`: Int16Array for pcm16 channels, the raw G.711 bytes (Uint8Array) for pcmu/pcma.
   */
  appendAudio(channel: number, offsetSamples: number, payload: Int16Array | Uint8Array): void {
    const ch = this.channelsByIndex.get(channel);
    if (!ch) throw new Error(`call ${this.header.callId}: unknown channel ${channel}`);
    if (!Number.isSafeInteger(offsetSamples) || offsetSamples < 0) {
      throw new RangeError(`call ${this.header.callId}: invalid sample offset ${offsetSamples}`);
    }
    let bytes: Uint8Array;
    if (ch.encoding === 'pcm16') {
      if (!(payload instanceof Int16Array)) {
        throw new TypeError(`channel ${channel} is pcm16: payload must be an Int16Array`);
      }
      bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      if (!LITTLE_ENDIAN) bytes = Buffer.from(bytes).swap16();
    } else {
      if (!(payload instanceof Uint8Array)) {
        throw new TypeError(`channel ${channel} is ${ch.encoding}: payload must be the raw G.711 bytes`);
      }
      bytes = payload;
    }
    this.appendRun(ch, offsetSamples, bytes);
  }

  /** Copy `bytes` into the channel's open run (a new run when they do not follow it). */
  private appendRun(ch: JournalChannel, offsetSamples: number, bytes: Uint8Array): void {
    const length = bytes.length;
    if (length === 0) return;
    if (this.closed) throw new Error(`call journal ${this.path} is closed`);
    const channel = ch.index;
    if (this.pendingBytes + length > this.options.maxPendingBytes) {
      // the disk has not taken the buffered audio for a while: past the budget
      this.drop(channel, offsetSamples, length / bytesPerSample(ch.encoding));
      return;
    }
    let run = this.runs[channel];
    if (!run) {
      const bps = bytesPerSample(ch.encoding);
      // room for one flush interval and a quarter, so that a run rarely grows
      const capacity = Math.min(MAX_RUN_BYTES, Math.max(4096, Math.ceil((this.header.sampleRate * bps * this.options.flushIntervalMs * 1.25) / 1000)));
      run = { channel, encoding: ch.encoding, bytesPerSample: bps, start: 0, buf: Buffer.allocUnsafe(capacity), len: 0 };
      this.runs[channel] = run;
    }
    if (run.len > 0 && (offsetSamples !== run.start + run.len / run.bytesPerSample || run.len + length > MAX_RUN_BYTES)) this.closeRun(run);
    if (run.len === 0) run.start = offsetSamples;
    if (run.len + length > run.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_RUN_BYTES, Math.max(run.buf.length * 2, run.len + length)));
      run.buf.copy(grown, 0, 0, run.len);
      run.buf = grown;
    }
    run.buf.set(bytes, run.len);
    run.len += length;
    this.pendingBytes += length;
    const end = offsetSamples + length / run.bytesPerSample;
    if (end > this.lastSampleEnd) this.lastSampleEnd = end;
    this.flushIfFull();
  }

  appendDtmf(event: DtmfEvent): void {
    this.push(encodeJsonRecord(RecordType.Dtmf, event));
  }

  appendQuality(counters: QualityCounters): void {
    this.push(encodeJsonRecord(RecordType.Quality, counters));
  }

  appendMetadata(metadata: unknown): void {
    this.push(encodeJsonRecord(RecordType.Metadata, { at: new Date().toISOString(), metadata }));
  }

  /**
   * Write buffered records durably (O_DSYNC, or fdatasync). Flushes are serialised. On failure the
   * records stay buffered (the file is truncated back to its last durable length so
   * no half record stays in the middle) and the error is thrown and reported.
   */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.doFlush());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async doFlush(): Promise<void> {
    if (!this.handle) return;
    // (a closing journal takes no more records: the call wrote its last figures before)
    if (!this.closed) this.options.beforeFlush?.();
    this.closeRuns();
    if (this.pending.length === 0 && this.synced && !this.hasUnreportedDrops()) return;
    const parts = this.pending.slice();
    const count = parts.length;
    // what was dropped since the last durable report (written again until it is durable)
    const reported: Array<[DropRange, number]> = [];
    for (const d of this.drops) {
      if (d.toSamples <= d.reportedTo) continue;
      const record: DroppedAudio = { channel: d.channel, fromSamples: d.reportedTo, toSamples: d.toSamples, reason: 'memory-budget' };
      parts.push(encodeJsonRecord(RecordType.Dropped, record));
      reported.push([d, d.toSamples]);
    }
    const bytes = parts.reduce((a, b) => a + b.length, 0);
    const dropBytes = bytes - parts.slice(0, count).reduce((a, b) => a + b.length, 0);
    const sampleEnd = this.lastSampleEnd;
    try {
      if (this.renameTo) {
        // a spare: its name becomes the call's before it holds anything (an empty
        // journal file is an abandoned set-up to recovery, an empty spare a leftover)
        await fs.rename(this.file, this.renameTo);
        this.file = this.renameTo;
        this.renameTo = undefined;
      }
      const group = this.buffered ? this.options.syncGroup : undefined;
      if (group) {
        // into the page cache at once, then the group's syncfs: data, size and the
        // file's name (a spare's rename included) durable with the other journals'
        if (bytes) writePartsNow(this.handle.fd, parts, bytes, this.writtenBytes);
        await group.sync();
      } else {
        if (bytes) await writeParts(this.handle, parts, bytes, this.writtenBytes);
        // O_DSYNC made the write durable; without it (or with nothing written) fdatasync does
        if (!bytes || this.buffered) await this.handle.datasync();
        // the first sync also makes the file's name durable
        if (!this.synced) await fsyncDir(nodePath.dirname(this.path));
      }
    } catch (e) {
      const err = journalError('write call journal', this.path, e);
      this.lastError = err;
      await this.handle?.truncate(this.writtenBytes).catch(() => undefined);
      this.scheduleRetry();
      this.options.onError?.(err);
      throw err;
    }
    this.synced = true;
    this.pending.splice(0, count);
    for (const owner of this.pendingOwners.splice(0, count)) {
      // the bytes are in the file: the buffer can take the run's next frames
      if (owner && !owner.run.reusable) owner.run.reusable = owner.buf;
    }
    for (const [d, to] of reported) d.reportedTo = to;
    this.pendingBytes -= bytes - dropBytes;
    this.writtenBytes += bytes;
    this.durableSampleEnd = Math.max(this.durableSampleEnd, sampleEnd);
    this.lastError = undefined;
    if (this.failedAttempts) {
      const info = { failedForMs: Date.now() - this.failingSince, attempts: this.failedAttempts, droppedSamples: this.droppedSampleCount };
      this.failedAttempts = 0;
      this.retryDelayMs = 0;
      this.backingOff = false;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.options.onRecovered?.(info);
    }
  }

  private hasUnreportedDrops(): boolean {
    for (const d of this.drops) if (d.toSamples > d.reportedTo) return true;
    return false;
  }

  /** After a failed flush: the next attempt in 1 s, 2 s, 4 s..., at most maxRetryMs. */
  private scheduleRetry(): void {
    if (this.failedAttempts++ === 0) this.failingSince = Date.now();
    this.retryDelayMs = this.retryDelayMs
      ? Math.min(this.retryDelayMs * 2, this.options.maxRetryMs)
      : Math.min(this.options.flushIntervalMs, this.options.maxRetryMs);
    this.backingOff = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.backingOff = false;
      const wake = this.retryWaiter;
      this.retryWaiter = undefined;
      if (wake) wake(); // close() makes the attempt
      else if (!this.closed) this.backgroundFlush();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  /**
   * Append the end record, then close: resolves once everything, the end record
   * included, is on disk (see close).
   */
  async end(end: Omit<JournalEnd, 'endedAt'> & { endedAt?: string }, options: CallJournalCloseOptions = {}): Promise<void> {
    if (this.ended) throw new Error(`call journal ${this.path} already ended`);
    // the end record comes after every frame
    if (!this.closed) this.closeRuns();
    this.push(encodeJsonRecord(RecordType.End, { ...end, endedAt: end.endedAt ?? new Date().toISOString() }));
    this.ended = true;
    await this.close(options);
  }

  /**
   * Flush and release the file descriptor (without an end record the journal counts
   * as unfinished and is picked up by recovery). No frame is taken from here on. While
   * the disk cannot take the records (full, unwritable) they stay in memory and the
   * flush is retried (1 s, 2 s, 4 s, then every maxRetryMs) until it succeeds, or until
   * `signal` aborts: then the fd is released, `lost` says which frames never reached
   * the disk, and the error is thrown. Any other error is thrown at once (fd released).
   */
  close(options: CallJournalCloseOptions = {}): Promise<void> {
    this.closing ??= this.doClose(options.signal);
    return this.closing;
  }

  private async doClose(signal: AbortSignal | undefined): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.leaveGroup?.();
    this.leaveGroup = undefined;
    try {
      for (;;) {
        try {
          await this.flush();
          return;
        } catch (e) {
          if (!(e instanceof StorageUnavailableError) || signal?.aborted) {
            this.giveUp();
            throw e;
          }
          await this.nextAttempt(signal);
          if (signal?.aborted) {
            this.giveUp();
            throw e;
          }
        }
      }
    } finally {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      const h = this.handle;
      this.handle = undefined;
      await h?.close();
    }
  }

  /** Waits for the retry timer (set by the failed flush), or the abort. */
  private nextAttempt(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>(resolve => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.retryWaiter = undefined;
        resolve();
      };
      if (!this.retryTimer || signal?.aborted) {
        done();
        return;
      }
      this.retryWaiter = done;
      signal?.addEventListener('abort', done);
    });
  }

  /** The frames still in memory when close() gives up, per channel. */
  private giveUp(): void {
    this.closeRuns();
    const lost: DroppedAudio[] = [];
    for (let i = 0; i < this.pending.length; i++) {
      const head = this.pending[i];
      if (!this.pendingOwners[i + 1] || head.length !== RECORD_HEADER_BYTES + 1 + AUDIO_BODY_HEADER || head[12] !== RecordType.Audio) continue;
      const channel = head[13];
      const encoding = ENCODING_BY_CODE[head[14]];
      const from = head.readUInt32LE(17) + head.readUInt32LE(21) * 0x100000000;
      const to = from + this.pending[i + 1].length / bytesPerSample(encoding);
      const prev = lost.find(l => l.channel === channel && l.toSamples === from);
      if (prev) prev.toSamples = to;
      else lost.push({ channel, fromSamples: from, toSamples: to, reason: 'not-written' });
    }
    // dropped frames whose Dropped record is not on disk are known to this process only
    this.notWritten = lost;
  }
}

/** Write `parts` (`bytes` in all) at `position` with one writev, finishing a short write with write. */
async function writeParts(handle: fs.FileHandle, parts: Buffer[], bytes: number, position: number): Promise<void> {
  const { bytesWritten } = await handle.writev(parts, position);
  if (bytesWritten >= bytes) return;
  if (bytesWritten < 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
  await writeAll(handle, Buffer.concat(parts).subarray(bytesWritten), position + bytesWritten);
}

/** writeParts on the calling thread (a page-cache write: the group's syncfs makes it durable). */
function writePartsNow(fd: number, parts: Buffer[], bytes: number, position: number): void {
  const written = writevSync(fd, parts, position);
  if (written >= bytes) return;
  const rest = Buffer.concat(parts).subarray(written);
  for (let off = 0; off < rest.length; ) {
    const n = writeSync(fd, rest, off, rest.length - off, position + written + off);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    off += n;
  }
}

async function writeAll(handle: fs.FileHandle, data: Buffer, position?: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      off,
      data.length - off,
      position === undefined ? null : position + off,
    );
    if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    off += bytesWritten;
  }
}

/* ------------------------------------------------------------------ reader */

export interface AudioIndexEntry {
  channel: number;
  encoding: ChannelEncoding;
  offsetSamples: number;
  samples: number;
  /** file position and length of the payload bytes */
  filePos: number;
  byteLength: number;
}

export interface JournalScan {
  path: string;
  header?: JournalHeader;
  audio: AudioIndexEntry[];
  dtmf: DtmfEvent[];
  quality: QualityCounters[];
  /** audio the recorder dropped (Dropped records: its buffer was full while the disk was) */
  dropped: DroppedAudio[];
  metadataUpdates: Array<{ at: string; metadata: unknown }>;
  end?: JournalEnd;
  /** timeline end (samples) of the last valid frame */
  lastFrameEnd: number;
  records: number;
  fileBytes: number;
  /** bytes at the end of the file that do not form a valid record (crash mid-write) */
  tornTailBytes: number;
  /** damaged records skipped in the middle of the file */
  corruptRecords: number;
  corruptBytes: number;
}

export class JournalFormatError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'JournalFormatError';
  }
}

const READ_CHUNK = 4 * 1024 * 1024;

/** Random access window over a file, refilled with large sequential reads. */
class FileWindow {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(private readonly handle: fs.FileHandle, readonly size: number) {}

  /** the bytes when they are in the window already (no I/O), else undefined */
  peek(pos: number, len: number): Buffer | undefined {
    if (pos < this.start || pos + len > this.start + this.buf.length) return undefined;
    return this.buf.subarray(pos - this.start, pos - this.start + len);
  }

  /** the whole file, when one read held it (journals up to READ_CHUNK bytes) */
  get whole(): Buffer | undefined {
    return this.start === 0 && this.buf.length === this.size ? this.buf : undefined;
  }

  async get(pos: number, len: number): Promise<Buffer | undefined> {
    if (pos < 0 || pos + len > this.size) return undefined;
    if (pos < this.start || pos + len > this.start + this.buf.length) {
      const want = Math.min(Math.max(len, READ_CHUNK), this.size - pos);
      const b = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await this.handle.read(b, got, want - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      this.buf = b.subarray(0, got);
      this.start = pos;
      if (got < len) return undefined;
    }
    return this.buf.subarray(pos - this.start, pos - this.start + len);
  }
}

interface RawRecord {
  type: number;
  body: Buffer;
  bodyPos: number;
  next: number;
}

async function readRecordAt(win: FileWindow, pos: number): Promise<RawRecord | undefined> {
  // hot path (one call per record, thousands per call): no I/O while the window holds it
  const head = win.peek(pos, RECORD_HEADER_BYTES) ?? (await win.get(pos, RECORD_HEADER_BYTES));
  if (!head || head[0] !== RECORD_SYNC[0] || head[1] !== RECORD_SYNC[1] || head[2] !== RECORD_SYNC[2] || head[3] !== RECORD_SYNC[3]) {
    return undefined;
  }
  const length = head.readUInt32LE(4);
  if (length < 1 || length > MAX_RECORD_BYTES) return undefined;
  const crc = head.readUInt32LE(8);
  // the length field, read before a refill can replace the window's buffer
  const lengthField = head.subarray(4, 8);
  const bodyAt = pos + RECORD_HEADER_BYTES;
  const rest = win.peek(bodyAt, length) ?? (await win.get(bodyAt, length));
  if (!rest || recordCrc(lengthField, rest) !== crc) return undefined;
  return {
    type: rest[0],
    // a view: a refill allocates a new window buffer, this one stays intact
    body: rest.subarray(1),
    bodyPos: bodyAt + 1,
    next: bodyAt + length,
  };
}

/** next position >= from where a valid record starts, or undefined */
async function resync(win: FileWindow, from: number): Promise<number | undefined> {
  let pos = from;
  while (pos + RECORD_HEADER_BYTES <= win.size) {
    const span = Math.min(READ_CHUNK, win.size - pos);
    const chunk = await win.get(pos, span);
    if (!chunk) return undefined;
    let i = chunk.indexOf(RECORD_SYNC);
    while (i >= 0) {
      if (await readRecordAt(win, pos + i)) return pos + i;
      // readRecordAt may have moved the window: re-fetch the chunk
      const again = await win.get(pos, span);
      if (!again) return undefined;
      i = again.indexOf(RECORD_SYNC, i + 1);
    }
    if (span <= RECORD_SYNC.length) return undefined;
    pos += span - (RECORD_SYNC.length - 1);
  }
  return undefined;
}

/** The file a scan read, when it fit in one read (kept with the scan, for readAudioPayloads). */
const scannedContents = new WeakMap<JournalScan, Buffer>();

/** The whole journal a scan read, when it was at most 4 MiB (≈ 3.5 min of a two-party call). */
export function journalContents(scan: JournalScan): Buffer | undefined {
  return scannedContents.get(scan);
}

/**
 * Read a journal: validate every record, index audio frames (payloads stay on
 * disk, see readAudioPayloads), collect events. Damage is reported, not thrown;
 * only a file that is not a journal at all throws JournalFormatError.
 */
export async function scanJournal(file: string): Promise<JournalScan> {
  const handle = await fs.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const win = new FileWindow(handle, size);
    const magic = await win.get(0, JOURNAL_MAGIC.length);
    if (!magic || !magic.equals(JOURNAL_MAGIC)) {
      throw new JournalFormatError(`${file} is not a call journal (bad or missing magic, ${size} bytes)`, file);
    }
    const scan: JournalScan = {
      path: file,
      audio: [],
      dtmf: [],
      quality: [],
      dropped: [],
      metadataUpdates: [],
      lastFrameEnd: 0,
      records: 0,
      fileBytes: size,
      tornTailBytes: 0,
      corruptRecords: 0,
      corruptBytes: 0,
    };
    let pos = JOURNAL_MAGIC.length;
    while (pos < size) {
      const rec = await readRecordAt(win, pos);
      if (!rec) {
        const next = await resync(win, pos + 1);
        if (next === undefined) {
          scan.tornTailBytes = size - pos;
          break;
        }
        scan.corruptRecords++;
        scan.corruptBytes += next - pos;
        pos = next;
        continue;
      }
      pos = rec.next;
      scan.records++;
      applyRecord(scan, rec, file);
    }
    const whole = win.whole;
    if (whole) scannedContents.set(scan, whole);
    return scan;
  } finally {
    await handle.close();
  }
}

function applyRecord(scan: JournalScan, rec: RawRecord, file: string): void {
  const json = () => JSON.parse(rec.body.toString('utf8'));
  switch (rec.type) {
    case RecordType.Header:
      if (scan.header) throw new JournalFormatError(`${file}: second header record`, file);
      scan.header = json();
      break;
    case RecordType.Audio: {
      const encoding = ENCODING_BY_CODE[rec.body[1]];
      if (!encoding) break;
      const byteLength = rec.body.length - AUDIO_BODY_HEADER;
      const offsetSamples = rec.body.readUInt32LE(4) + rec.body.readUInt32LE(8) * 0x100000000;
      const samples = byteLength / bytesPerSample(encoding);
      scan.audio.push({
        channel: rec.body[0],
        encoding,
        offsetSamples,
        samples,
        filePos: rec.bodyPos + AUDIO_BODY_HEADER,
        byteLength,
      });
      scan.lastFrameEnd = Math.max(scan.lastFrameEnd, offsetSamples + samples);
      break;
    }
    case RecordType.Dtmf:
      scan.dtmf.push(json());
      break;
    case RecordType.Quality:
      scan.quality.push(json());
      break;
    case RecordType.Metadata:
      scan.metadataUpdates.push(json());
      break;
    case RecordType.End:
      scan.end = json();
      break;
    case RecordType.Dropped:
      scan.dropped.push(json());
      break;
    default:
      // unknown record types from newer versions are skipped
      break;
  }
}

/** Read the payloads of some indexed frames (one read per contiguous region). */
export async function readAudioPayloads(
  /** the open journal; may be undefined only with `contents` */
  handle: fs.FileHandle | undefined,
  entries: AudioIndexEntry[],
  /** the journal's bytes when already in memory (journalContents): no read */
  contents?: Buffer,
): Promise<Buffer[]> {
  if (entries.length === 0) return [];
  if (contents) return entries.map(e => contents.subarray(e.filePos, e.filePos + e.byteLength));
  if (!handle) throw new Error('readAudioPayloads: neither an open journal nor its contents');
  const start = Math.min(...entries.map(e => e.filePos));
  const end = Math.max(...entries.map(e => e.filePos + e.byteLength));
  if (end - start <= 16 * 1024 * 1024) {
    const region = Buffer.alloc(end - start);
    let got = 0;
    while (got < region.length) {
      const { bytesRead } = await handle.read(region, got, region.length - got, start + got);
      if (bytesRead === 0) throw new Error('journal shrank while reading');
      got += bytesRead;
    }
    return entries.map(e => region.subarray(e.filePos - start, e.filePos - start + e.byteLength));
  }
  const out: Buffer[] = [];
  for (const e of entries) {
    const b = Buffer.alloc(e.byteLength);
    await handle.read(b, 0, e.byteLength, e.filePos);
    out.push(b);
  }
  return out;
}
