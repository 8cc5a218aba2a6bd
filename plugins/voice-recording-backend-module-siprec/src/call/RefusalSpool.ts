/*
 * Refused-session records waiting for the database, kept on disk so that a crash or a
 * stop during a database outage does not lose them: one small JSON file per record in
 * `<journalDir>/refused/`, made durable (written to a temporary name, fsync'd, renamed,
 * directory fsync'd) before the record is counted as kept, deleted once the database
 * holds it. The next start reads what is left and writes it; records carry a stable id,
 * so one that reached the database just before a crash is not kept twice.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RecordRefusedInput, asyncFileCalls } from '@mvr/plugin-voice-recording-node';
import { fsyncDir, mkdirs } from '../storage/BlobStore';

/** A refused-session record with the id that makes writing it again harmless. */
export type SpooledRefusal = RecordRefusedInput & { id: string };

const EXTENSION = '.json';
const TEMPORARY = '.tmp';
const UNREADABLE = '.unreadable';
const FORMAT_VERSION = 1;

/** Files sort by the refusal's time, then id: a directory listing gives them in order. */
function fileName(record: SpooledRefusal): string {
  return `${String(record.at.getTime()).padStart(15, '0')}-${record.id}${EXTENSION}`;
}

/** Parses one spooled file's text; throws with what is wrong. */
export function parseSpooledRefusal(text: string): SpooledRefusal {
  const data = JSON.parse(text) as { version?: unknown; record?: Record<string, unknown> };
  if (data.version !== FORMAT_VERSION) throw new Error(`unknown format version ${String(data.version)}`);
  const r = data.record;
  if (!r || typeof r !== 'object') throw new Error('no record');
  const at = new Date(String(r.at));
  if (typeof r.id !== 'string' || !r.id) throw new Error('record without id');
  if (Number.isNaN(at.getTime())) throw new Error(`record ${r.id}: invalid time ${String(r.at)}`);
  if (typeof r.sipCallId !== 'string' || typeof r.reason !== 'string' || typeof r.responseCode !== 'number') {
    throw new Error(`record ${r.id}: sipCallId, reason or responseCode missing`);
  }
  if (!Array.isArray(r.participants)) throw new Error(`record ${r.id}: participants missing`);
  return { ...(r as unknown as SpooledRefusal), at };
}

export class RefusalSpool {
  constructor(readonly dir: string) {}

  /** Keeps the record; durable when this resolves. */
  async save(record: SpooledRefusal): Promise<void> {
    await mkdirs(this.dir);
    const final = path.join(this.dir, fileName(record));
    const temporary = `${final}${TEMPORARY}`;
    const handle = await fs.open(temporary, 'w', 0o640);
    try {
      await handle.writeFile(JSON.stringify({ version: FORMAT_VERSION, record }));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, final);
    await fsyncDir(this.dir);
  }

  /** The database holds the record: its file goes (no error when it is already gone). */
  remove(record: SpooledRefusal): Promise<void> {
    return asyncFileCalls.removeIfExists(path.join(this.dir, fileName(record)));
  }

  /** A record the database rejected: renamed `*.rejected`, never written again, kept for an operator. */
  async setAsideRejected(record: SpooledRefusal): Promise<void> {
    const file = path.join(this.dir, fileName(record));
    await fs.rename(file, `${file}.rejected`);
  }

  /**
   * The records a previous run left, oldest first. Half-written temporary files (a crash
   * before the rename: that record was never counted as kept) are deleted; a file that
   * cannot be read is renamed `*.unreadable` and reported, never deleted.
   */
  async load(): Promise<{ records: SpooledRefusal[]; unreadable: Array<{ file: string; error: string }> }> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: [] };
      throw e;
    }
    const records: SpooledRefusal[] = [];
    const unreadable: Array<{ file: string; error: string }> = [];
    for (const name of names.sort()) {
      const file = path.join(this.dir, name);
      if (name.endsWith(TEMPORARY)) {
        await fs.rm(file, { force: true });
        continue;
      }
      if (!name.endsWith(EXTENSION)) continue;
      try {
        records.push(parseSpooledRefusal(await fs.readFile(file, 'utf8')));
      } catch (e) {
        const error = (e as Error).message;
        await fs.rename(file, `${file}${UNREADABLE}`).catch(() => undefined);
        unreadable.push({ file: `${file}${UNREADABLE}`, error });
      }
    }
    return { records, unreadable };
  }
}
