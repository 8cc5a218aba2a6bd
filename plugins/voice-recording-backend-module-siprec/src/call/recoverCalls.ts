import { LoggerService } from '@backstage/backend-plugin-api';
import { ConversationQuality } from '@mvr/plugin-voice-recording-common';
import { CaptureConversations, isCaptureStoreError } from '@mvr/plugin-voice-recording-node';
import { ArchiveFormat } from '../capture/finalize';
import { RECOVERED_AFTER_CRASH, scanJournalDirectory } from '../capture/recovery';
import { BlobStore } from '../storage/BlobStore';
import { JournalCallInfo, finalizeAndRegister } from './register';

export interface RecoverySummary {
  journals: number;
  registered: number;
  pending: number;
  unreadable: number;
  /** conversations left `recording` by this instance with no journal: finished as failed */
  orphans: number;
}

/**
 * At start: archives and registers every journal a previous run left (calls cut by a
 * crash become `recovered-after-crash`; calls that ended but were not registered keep
 * their end reason), then closes conversations of this instance still `recording`
 * that have no journal (the crash came before any audio was durable).
 */
export async function recoverCalls(options: {
  journalDir: string;
  conversations: CaptureConversations;
  blobStore: BlobStore;
  format: ArchiveFormat;
  instanceId: string;
  logger: LoggerService;
  signal?: AbortSignal;
}): Promise<RecoverySummary> {
  const { logger } = options;
  const found = await scanJournalDirectory(options.journalDir);
  const summary: RecoverySummary = { journals: found.toFinalize.length, registered: 0, pending: 0, unreadable: found.unreadable.length, orphans: 0 };
  for (const u of found.unreadable) logger.error(`recovery: unreadable journal left in place: ${u.error}`);
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
    const last = new Map<number, Record<string, number | undefined>>();
    for (const q of input.scan.quality) last.set(q.channel, q);
    const quality: ConversationQuality | undefined = last.size
      ? {
          packetsReceived: [...last.values()].reduce((a, q) => a + (q.packetsReceived ?? 0), 0),
          packetsLost: [...last.values()].reduce((a, q) => a + (q.packetsLost ?? 0), 0),
          channels: [...last.values()],
        }
      : undefined;
    const dtmf = input.scan.dtmf.map(d => ({
      at: new Date(Date.parse(input.header.startedAt) + (d.offsetSamples * 1000) / input.header.sampleRate).toISOString(),
      digit: d.digit,
    }));
    logger.info(
      `recovery: conversation ${id} (call ${input.header.callId}) from ${input.journalPath}: ${input.endedBy}` +
        `${input.reason ? ` (${input.reason})` : ''}`,
    );
    const out = await finalizeAndRegister(input, id, { dtmf, quality }, { ...options, retryDelaysMs: [500, 1000, 2000] });
    if (out.registered) summary.registered++;
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
