import * as fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConversationDtmfEvent,
  ConversationEndReason,
  ConversationQuality,
} from '@mvr/plugin-voice-recording-common';
import {
  CaptureConversations,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
import { decodeAlaw, decodeUlaw } from '../codecs';
import { ArchiveFormat, FinalizeInput, FinalizeResult, finalizeRecording } from '../capture/finalize';
import { BlobStore } from '../storage/BlobStore';

export const END_REASONS: ConversationEndReason[] = [
  'bye',
  'cancel',
  'timeout',
  'shutdown',
  'recovered-after-crash',
  'error',
];

export function toEndReason(s: string): ConversationEndReason {
  return (END_REASONS as string[]).includes(s) ? (s as ConversationEndReason) : 'error';
}

/** What the journal header's metadata holds about the conversation (for recovery). */
export interface JournalCallInfo {
  conversationId: string;
  sipCallId: string;
  number?: string;
  /** participant address of each channel's sender */
  channelParties?: Record<number, string>;
}

export const decodeG711 = (law: 'pcmu' | 'pcma', bytes: Uint8Array): Int16Array =>
  law === 'pcmu' ? decodeUlaw(bytes) : decodeAlaw(bytes);

export interface RegisterOptions {
  conversations: CaptureConversations;
  blobStore: BlobStore;
  format: ArchiveFormat;
  logger: LoggerService;
  /** Stop retrying the database after this (the journal stays for the next start). */
  signal?: AbortSignal;
  retryDelaysMs?: number[];
}

export interface RegisterExtras {
  dtmf?: ConversationDtmfEvent[];
  quality?: ConversationQuality;
  failureReason?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>(resolve => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Encodes the journal into the archive, then registers the conversation (retrying
 * while the database is unavailable), and only then deletes the journal: a crash or
 * an outage at any point leaves the journal for the next start's recovery.
 * Returns the finish outcome; `registered` false when it must be retried later.
 */
export async function finalizeAndRegister(
  input: FinalizeInput,
  conversationId: string,
  extras: RegisterExtras,
  options: RegisterOptions,
): Promise<{ result?: FinalizeResult; registered: boolean; error?: Error }> {
  const { logger, conversations } = options;
  let result: FinalizeResult | undefined;
  let failure: string | undefined = extras.failureReason;
  try {
    result = await finalizeRecording(input, {
      blobStore: options.blobStore,
      format: options.format,
      decodeG711,
      deleteJournal: false,
    });
  } catch (e) {
    failure = `archiving the recording failed: ${(e as Error).message}`;
    logger.error(`conversation ${conversationId}: ${failure}`);
  }
  const endedBy = toEndReason(input.endedBy);
  const delays = options.retryDelaysMs ?? [250, 500, 1000, 2000, 5000];
  for (let attempt = 0; ; attempt++) {
    try {
      if (extras.dtmf?.length || extras.quality) {
        try {
          await conversations.update(conversationId, {
            ...(extras.dtmf?.length ? { dtmf: extras.dtmf } : {}),
            ...(extras.quality ? { quality: extras.quality } : {}),
          });
        } catch (e) {
          // already finished (a retry after the first finish won): nothing to update
          if (!(isCaptureStoreError(e) && (e.code === 'conflict' || e.code === 'not-found'))) throw e;
        }
      }
      await conversations.finish(conversationId, {
        endedAt: new Date(input.endedAt),
        endedBy: result ? endedBy : 'error',
        ...(result
          ? {
              storageKey: result.storageKey,
              sha256: result.sha256,
              bytes: result.bytes,
              format: result.contentType,
              durationMs: result.durationMs,
            }
          : { durationMs: Math.round((input.durationSamples * 1000) / input.header.sampleRate) }),
        ...(extras.quality ? { quality: extras.quality } : {}),
        ...(failure ? { failureReason: failure } : {}),
      });
      break;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (isCaptureStoreError(e) && e.retryable && !options.signal?.aborted) {
        const delay = delays[Math.min(attempt, delays.length - 1)];
        if (attempt === 0 || attempt % 10 === 0) {
          logger.warn(`conversation ${conversationId}: database unavailable, retrying finish in ${delay} ms: ${err.message}`);
        }
        await sleep(delay, options.signal);
        continue;
      }
      if (isCaptureStoreError(e) && e.retryable) {
        logger.warn(`conversation ${conversationId}: not registered yet (${err.message}); the journal ${input.journalPath} is kept for the next start`);
        return { result, registered: false, error: err };
      }
      logger.error(`conversation ${conversationId}: cannot register the recording: ${err.message}`);
      if (result) await fs.rm(input.journalPath, { force: true });
      return { result, registered: false, error: err };
    }
  }
  if (result) await fs.rm(input.journalPath, { force: true });
  return { result, registered: true };
}
