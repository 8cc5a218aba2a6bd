/*
 * Startup recovery: every journal still in the journal directory belongs to a call
 * whose recording was not finalized (the journal is deleted only once its blob is
 * durable). Unfinished journals (no end record: the process died) are closed as
 * 'recovered-after-crash' with the duration up to the last flushed frame.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { JOURNAL_EXTENSION, JournalScan, scanJournal } from './CallJournal';
import { FinalizeInput, finalizeInputFromScan } from './finalize';

export const RECOVERED_AFTER_CRASH = 'recovered-after-crash';

export interface RecoveryResult {
  /** journals to finalize (unfinished ones marked recovered-after-crash) */
  toFinalize: FinalizeInput[];
  /** files that are not readable journals (left in place for an operator) */
  unreadable: Array<{ path: string; error: string }>;
  /**
   * journal files of call set-ups that never wrote a header (empty: made while the
   * recording decision was looked up, CallJournal.reserve): deleted, they hold nothing
   */
  abandoned: string[];
}

export async function scanJournalDirectory(dir: string): Promise<RecoveryResult> {
  const result: RecoveryResult = { toFinalize: [], unreadable: [], abandoned: [] };
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw e;
  }
  for (const name of names.filter(n => n.endsWith(JOURNAL_EXTENSION)).sort()) {
    const file = path.join(dir, name);
    let scan: JournalScan;
    try {
      if ((await fs.stat(file)).size === 0) {
        await fs.rm(file, { force: true });
        result.abandoned.push(file);
        continue;
      }
      scan = await scanJournal(file);
    } catch (e) {
      result.unreadable.push({ path: file, error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (!scan.header) {
      result.unreadable.push({
        path: file,
        error: `${file} has no valid header record (${scan.fileBytes} bytes, torn tail ${scan.tornTailBytes})`,
      });
      continue;
    }
    result.toFinalize.push(recoveredInput(scan));
  }
  return result;
}

/** The finalization input of a journal found at startup. */
export function recoveredInput(scan: JournalScan): FinalizeInput {
  if (scan.end) return finalizeInputFromScan(scan);
  const header = scan.header!;
  const durationSamples = scan.lastFrameEnd;
  const endedAt = new Date(Date.parse(header.startedAt) + (durationSamples * 1000) / header.sampleRate);
  return finalizeInputFromScan(scan, {
    endedBy: RECOVERED_AFTER_CRASH,
    endedAt: endedAt.toISOString(),
    durationSamples,
    reason: [
      `journal had no end record; recovered ${scan.records} records`,
      scan.tornTailBytes ? `ignored a torn tail of ${scan.tornTailBytes} bytes` : undefined,
      scan.corruptRecords ? `skipped ${scan.corruptRecords} corrupt records` : undefined,
    ]
      .filter(Boolean)
      .join(', '),
  });
}
