import * as fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import { CaptureConversations, isCaptureStoreError } from '@mvr/plugin-voice-recording-node';
import { audioIssueText } from '@mvr/plugin-voice-recording-common';
import { ArchiveFormat } from '../capture/finalize';
import { RECOVERED_AFTER_CRASH, scanJournalDirectory } from '../capture/recovery';
import { BlobStore } from '../storage/BlobStore';
import { safeLogText } from '../sip/message';
import { journalQuality } from './quality';
import { RegistrationQueue } from './RegistrationQueue';
import { ArchiveOptions, JournalCallInfo, archiveJournal, registerOnce } from './register';

export interface RecoverySummary {
  journals: number;
  registered: number;
  /** not registered yet (database unavailable): queued, or left for the next start */
  pending: number;
  /** journals left in place for an operator: unreadable, or their conversation closed without a recording */
  unreadable: number;
  /** conversations left `recording` by this instance with no journal: finished as failed */
  orphans: number;
}

/**
 * At start: archives and registers every journal a previous run left (calls cut by a
 * crash become `recovered-after-crash`; calls that ended but were not registered keep
 * their end reason), then closes conversations of this instance still `recording`
 * that have no journal (the crash came before any audio was durable).
 *
 * With `registrations`, what the database cannot take now is queued there (retried
 * while the recorder runs) and start goes on; without, it is tried once and the
 * journal stays for the next start. A journal whose conversation the database already
 * shows as finished (a stop between `finish` and the journal's deletion) is deleted
 * without archiving it again.
 */
export async function recoverCalls(options: {
  journalDir: string;
  conversations: CaptureConversations;
  blobStore: BlobStore;
  format: ArchiveFormat;
  opus?: ArchiveOptions['opus'];
  opusPool?: ArchiveOptions['opusPool'];
  compressTo?: ArchiveOptions['compressTo'];
  qualityCheck?: ArchiveOptions['qualityCheck'];
  instanceId: string;
  logger: LoggerService;
  registrations?: RegistrationQueue;
}): Promise<RecoverySummary> {
  const { logger } = options;
  const found = await scanJournalDirectory(options.journalDir);
  const summary: RecoverySummary = { journals: found.toFinalize.length, registered: 0, pending: 0, unreadable: found.unreadable.length, orphans: 0 };
  for (const u of found.unreadable) logger.error(`recovery: unreadable journal left in place: ${u.error}`);
  if (found.abandoned.length) {
    logger.info(`recovery: deleted ${found.abandoned.length} empty journal file(s) of call set-ups that never completed`);
  }
  const handled = new Set<string>();
  for (const input of found.toFinalize) {
    const info = input.header.metadata as Partial<JournalCallInfo> | undefined;
    const id = info?.conversationId;
    if (!id) {
      logger.error(`recovery: journal ${input.journalPath} names no conversation; left in place`);
      summary.unreadable++;
      continue;
    }
    handled.add(id);
    try {
      const row = await options.conversations.get(id);
      if (!row && input.scan.audio.length === 0) {
        // the row and the journal of a call are made together at set-up: a crash between
        // the two leaves a journal of a call that was never answered (no audio)
        logger.info(`recovery: journal ${input.journalPath} belongs to a call set-up that never completed (no conversation, no audio); deleted`);
        await fs.rm(input.journalPath, { force: true });
        continue;
      }
      if (row && row.state !== 'recording' && row.storageKey) {
        logger.info(`recovery: conversation ${id} is already ${row.state} with its recording; deleting its journal ${input.journalPath}`);
        await fs.rm(input.journalPath, { force: true });
        summary.registered++;
        continue;
      }
      if (row && row.state !== 'recording') {
        // finished without a recording (e.g. archiving failed): the journal is the only copy of the audio
        logger.error(
          `recovery: conversation ${id} is ${row.state} without a recording (${safeLogText(row.failureReason ?? 'no reason')}); ` +
            `its audio is in ${input.journalPath}, left in place for an operator`,
        );
        summary.unreadable++;
        continue;
      }
    } catch (e) {
      if (!isCaptureStoreError(e)) throw e;
      // database unavailable: archive anyway, the registration waits
    }
    // the figures the journal holds: the final ones of a call that ended, else those
    // written with its last durable audio (they count the audio recovered)
    const quality = journalQuality(input.scan);
    const dtmf = input.scan.dtmf.map(d => ({
      at: new Date(Date.parse(input.header.startedAt) + (d.offsetSamples * 1000) / input.header.sampleRate).toISOString(),
      digit: d.digit,
    }));
    logger.info(
      `recovery: conversation ${id} (call ${safeLogText(input.header.callId)}) from ${input.journalPath}: ${input.endedBy}` +
        `${input.reason ? ` (${safeLogText(input.reason)})` : ''}`,
    );
    const { job, audioIssues } = await archiveJournal(input, id, { dtmf, quality }, options);
    const silent = audioIssues.filter(i => i !== 'audio-lost'); // audio-lost is logged by archiveJournal
    if (silent.length) {
      logger.warn(`recovery: conversation ${id}: ${silent.map(i => audioIssueText(i, quality)).join('; ')}`);
    }
    let registered: boolean;
    if (options.registrations) {
      registered = await options.registrations.register(job);
    } else {
      registered = await registerOnce(job, options.conversations).then(
        () => true,
        e => {
          logger.warn(`recovery: conversation ${id} not registered (${safeLogText((e as Error).message)}); journal ${input.journalPath} kept`);
          return false;
        },
      );
    }
    if (registered) summary.registered++;
    else summary.pending++;
  }
  try {
    const left = await options.conversations.listInProgress({ instanceId: options.instanceId });
    for (const c of left) {
      if (handled.has(c.id)) continue;
      summary.orphans++;
      await options.conversations.finish(c.id, {
        endedAt: new Date(),
        endedBy: RECOVERED_AFTER_CRASH,
        failureReason: 'the recorder stopped before any audio of this call was stored',
      });
    }
  } catch (e) {
    if (!isCaptureStoreError(e)) throw e;
    logger.warn(`recovery: cannot list conversations in progress: ${e.message}`);
  }
  return summary;
}
