/*
 * Journal files created ahead of the calls that will use them.
 *
 * Creating a file is a change to its directory, which the file system's own journal
 * (ext4's jbd2) must take in. While the recorder carries hundreds of calls, their
 * once-a-second durable writes keep that journal committing, and a create can then wait
 * 100 ms and more (measured: bench/README.md, session 6). A call's set-up must not:
 * it takes a file made earlier, at leisure, one at a time, by this pool.
 *
 * A spare is an empty file named `<random>.spare`; the journal that takes it renames
 * it to the call's name at its first flush, before it writes anything (CallJournal).
 * So a spare never holds audio, and the spares a killed process left are deleted at
 * the next start (`start`). Without a spare ready (a burst of calls larger than the
 * pool), the set-up creates its file itself, as it would without the pool.
 */
import * as fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import * as nodePath from 'node:path';
import { mkdirs } from '../storage/BlobStore';
import { CallJournal, JOURNAL_FILE_MODE, JournalReservation, journalOpenFlags } from './CallJournal';
import type { JournalSyncGroup } from './JournalSyncGroup';

export const SPARE_EXTENSION = '.spare';

export interface JournalSparesOptions {
  /** spares kept ready (default 32: about a second of a busy hour's call set-ups) */
  target?: number;
  /** told when a spare cannot be made (the set-ups then make their own files) */
  onError?: (error: Error) => void;
  /** the journals' sync group: spares opened for it (without O_DSYNC, see CallJournal.reserve) */
  syncGroup?: JournalSyncGroup;
}

export class JournalSpares {
  private readonly ready: JournalReservation[] = [];
  private filling?: Promise<void>;
  private closed = false;
  private started = false;
  /** spares handed out since start, and set-ups that found none ready */
  readonly stats = { taken: 0, missed: 0, made: 0, failures: 0 };
  readonly target: number;

  constructor(
    readonly dir: string,
    private readonly options: JournalSparesOptions = {},
  ) {
    this.target = options.target ?? 32;
    if (!Number.isInteger(this.target) || this.target < 0) throw new RangeError(`JournalSpares: target must be a non-negative integer, got ${this.target}`);
  }

  /**
   * Deletes the spares a previous run left (empty by construction), then fills the
   * pool. Never fails: storage trouble is reported to onError, and each `take` tries
   * to fill the pool again.
   */
  async start(): Promise<void> {
    try {
      await mkdirs(this.dir);
      const left = (await fs.readdir(this.dir)).filter(f => f.endsWith(SPARE_EXTENSION));
      await Promise.all(left.map(f => fs.rm(nodePath.join(this.dir, f), { force: true })));
    } catch (e) {
      this.stats.failures++;
      this.options.onError?.(e as Error);
    }
    this.started = true;
    this.fill();
  }

  /** Spares ready now. */
  get size(): number {
    return this.ready.length;
  }

  /** A ready spare (and the pool refills), or undefined when none is ready. */
  take(): JournalReservation | undefined {
    if (!this.started || this.closed) return undefined;
    const spare = this.ready.shift();
    if (spare) this.stats.taken++;
    else this.stats.missed++;
    this.fill();
    return spare;
  }

  /** An unused spare comes back (a call refused after its set-up took one). */
  giveBack(spare: JournalReservation): boolean {
    if (this.closed || !spare.spare || this.ready.length >= this.target) return false;
    this.ready.push(spare);
    return true;
  }

  /** Resolves when the pool is full or cannot be filled now (tests). */
  async filled(): Promise<void> {
    while (this.filling) await this.filling;
  }

  /** Closes and deletes the ready spares; none is made after. */
  async close(): Promise<void> {
    this.closed = true;
    await this.filling;
    await Promise.all(this.ready.splice(0).map(s => CallJournal.release(s)));
  }

  private fill(): void {
    if (this.filling || this.closed || this.ready.length >= this.target) return;
    this.filling = (async () => {
      // one at a time: the pool never takes more than one libuv thread from the calls
      while (!this.closed && this.ready.length < this.target) {
        const path = nodePath.join(this.dir, `${randomBytes(8).toString('hex')}${SPARE_EXTENSION}`);
        try {
          const buffered = this.options.syncGroup !== undefined;
          const handle = await fs.open(path, journalOpenFlags(buffered), JOURNAL_FILE_MODE);
          const spare: JournalReservation = { path, handle, spare: true, buffered };
          if (this.closed) {
            await CallJournal.release(spare);
            break;
          }
          this.ready.push(spare);
          this.stats.made++;
        } catch (e) {
          // the disk is full or the directory unwritable: the set-ups see it themselves
          this.stats.failures++;
          this.options.onError?.(e as Error);
          break;
        }
      }
    })().finally(() => {
      this.filling = undefined;
    });
  }
}
