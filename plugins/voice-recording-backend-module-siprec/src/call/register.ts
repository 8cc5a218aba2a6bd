import * as fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConversationAudioIssue,
  ConversationDtmfEvent,
  ConversationEndReason,
  ConversationQuality,
  ConversationQualityCheck,
} from '@mvr/plugin-voice-recording-common';
import {
  CaptureConversations,
  ConversationPatch,
  FinishConversationInput,
  isCaptureStoreError,
  OpusEncoderPool,
  SpeechActivityDetector,
} from '@mvr/plugin-voice-recording-node';
import { decodeAlaw, decodeUlaw } from '../codecs';
import { DroppedAudio } from '../capture/journalFormat';
import { ArchiveFormat, FinalizeInput, FinalizeOptions, FinalizeResult, finalizeRecording } from '../capture/finalize';
import { BlobStore } from '../storage/BlobStore';
import { audioIssuesOf } from './audioIssues';
import { lostAudio, lostAudioText } from './quality';
import { DEFAULT_QUALITY_CHECK, QualityCheckConfig, checkQuality, longestRtpGapMs } from './qualityCheck';

export const END_REASONS: ConversationEndReason[] = [
  'bye',
  'cancel',
  'timeout',
  'shutdown',
  'recovered-after-crash',
  'error',
  'policy',
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

export interface ArchiveOptions {
  blobStore: BlobStore;
  format: ArchiveFormat;
  logger: LoggerService;
  /** Opus encoder settings (bit rate, complexity) */
  opus?: FinalizeOptions['opus'];
  /** Opus encoder threads (default: encode on the event loop) */
  opusPool?: OpusEncoderPool;
  /**
   * The archive written now is an interim one (lossless WAV) that the ArchiveCompressor
   * replaces with this format later: said on the registration.
   */
  compressTo?: 'opus';
  /** thresholds of the quality check made as the call is archived (default: DEFAULT_QUALITY_CHECK) */
  qualityCheck?: QualityCheckConfig;
}

export interface RegisterExtras {
  dtmf?: ConversationDtmfEvent[];
  quality?: ConversationQuality;
  failureReason?: string;
  /** audio the journal never wrote (its disk stayed full until the recorder stopped); its Dropped records are in the scan */
  lost?: DroppedAudio[];
}

/**
 * What registering one conversation takes: the figures written with `update` (ignored
 * once the conversation is finished), the `finish` itself, and the journal to delete
 * once the conversation is finished.
 */
export interface RegistrationJob {
  conversationId: string;
  /** the call's journal (for logs, and deleted when `deleteJournal`) */
  journalPath?: string;
  /** true when the archive holds the journal's audio: the journal goes once finished */
  deleteJournal: boolean;
  patch?: ConversationPatch;
  finish: FinishConversationInput;
  /**
   * Set while the archive could not be written for lack of storage (disk full,
   * unwritable directory): the conversation stays `recording` and the queue runs this
   * again, registering the job it returns once the archive is written.
   */
  archive?: () => Promise<RegistrationJob>;
}

const STORAGE_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOTDIR']);

/** The archive could not be written for lack of usable storage (worth retrying later). */
export function isStorageUnavailable(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException | undefined;
  return err?.name === 'StorageUnavailableError' || STORAGE_ERRNO.has(err?.code ?? '');
}

/**
 * Encodes the journal into the archive (the journal is kept) and returns the
 * registration to make. When the storage is unavailable (full, unwritable) the job
 * carries `archive` to try again later, and the conversation stays `recording`; when
 * archiving fails otherwise (unreadable journal) the conversation is registered as
 * failed and the journal stays (it is the only copy of the audio).
 */
export async function archiveJournal(
  input: FinalizeInput,
  conversationId: string,
  given: RegisterExtras,
  options: ArchiveOptions,
): Promise<{
  job: RegistrationJob;
  result?: FinalizeResult;
  audioIssues: ConversationAudioIssue[];
  qualityCheck?: ConversationQualityCheck;
}> {
  let result: FinalizeResult | undefined;
  let failure: string | undefined = given.failureReason;
  // audio the journal could not keep (a full disk): in the figures and flagged, so that
  // a recording with audio missing is never registered as a complete one
  const lost = lostAudio([...(input.scan.dropped ?? []), ...(given.lost ?? [])], input.header.sampleRate);
  if (lost) options.logger.warn(`conversation ${conversationId}: ${lostAudioText(lost)}: the journal's disk was full`);
  const extras: RegisterExtras = lost ? { ...given, quality: { ...given.quality, ...lost } } : given;
  // decided from the journal (audio frames) and the receivers' figures (why none)
  const audioIssues = audioIssuesOf(input.scan, extras.quality);
  if (lost) audioIssues.push('audio-lost');
  const flagged = audioIssues.length ? { audioIssues } : {};
  const checkConfig = options.qualityCheck ?? DEFAULT_QUALITY_CHECK;
  // speech activity of the two sides, measured on the timeline the archive renders
  const speech = checkConfig.enabled ? new SpeechActivityDetector({ sampleRate: input.header.sampleRate, channels: 2 }) : undefined;
  try {
    result = await finalizeRecording(input, {
      speech,
      blobStore: options.blobStore,
      format: options.format,
      opus: options.opus,
      opusPool: options.opusPool,
      decodeG711,
      deleteJournal: false,
      // an interim WAV is replaced by its compressed archive: not locked in object storage
      ...(options.compressTo ? { archiveLock: { retention: null } } : {}),
    });
    if (result.peaksError) {
      // the waveform falls back to decoding the recording: worth a warning, not a failure
      options.logger.warn(`conversation ${conversationId}: peak envelope not stored: ${result.peaksError}`);
    }
  } catch (e) {
    failure = `archiving the recording failed: ${(e as Error).message}`;
    if (isStorageUnavailable(e)) {
      // logged by the queue (first attempt, then every 10th)
      const again = async (): Promise<RegistrationJob> => (await archiveJournal(input, conversationId, extras, options)).job;
      return {
        job: {
          conversationId,
          journalPath: input.journalPath,
          deleteJournal: false,
          finish: { endedAt: new Date(input.endedAt), endedBy: 'error', failureReason: failure, ...flagged },
          archive: again,
        },
        audioIssues,
      };
    }
    options.logger.error(`conversation ${conversationId}: ${failure}`);
  }
  const durationMs = result?.durationMs ?? Math.round((input.durationSamples * 1000) / input.header.sampleRate);
  const qualityCheck = checkConfig.enabled
    ? checkQuality(
        {
          durationMs,
          streams: input.header.channels.length,
          quality: extras.quality,
          audioIssues,
          sides: result && speech ? speech.finish() : undefined,
          longestGapMs: longestRtpGapMs(input.scan.audio, extras.quality, input.header.sampleRate),
        },
        checkConfig,
      )
    : undefined;
  const patch: ConversationPatch | undefined =
    extras.dtmf?.length || extras.quality
      ? {
          ...(extras.dtmf?.length ? { dtmf: extras.dtmf } : {}),
          ...(extras.quality ? { quality: extras.quality } : {}),
        }
      : undefined;
  const finish: FinishConversationInput = {
    endedAt: new Date(input.endedAt),
    endedBy: result ? toEndReason(input.endedBy) : 'error',
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
    ...flagged,
    ...(qualityCheck ? { qualityCheck } : {}),
    ...(failure ? { failureReason: failure } : {}),
    ...(result && options.compressTo ? { compressTo: options.compressTo } : {}),
  };
  return {
    job: { conversationId, journalPath: input.journalPath, deleteJournal: !!result, ...(patch ? { patch } : {}), finish },
    result,
    audioIssues,
    qualityCheck,
  };
}

/**
 * The job's figures (DTMF, quality) written by the `finish` itself: one statement instead
 * of an update before it, with the same outcome (an update applies only while the
 * conversation records, as the finish does, and the finish's own quality wins over the
 * patch's). Undefined when the patch holds anything else (then it is its own update).
 */
function finishWithPatch(job: RegistrationJob): FinishConversationInput | undefined {
  const patch = job.patch;
  if (!patch) return job.finish;
  if (Object.keys(patch).some(k => k !== 'dtmf' && k !== 'quality' && (patch as Record<string, unknown>)[k] !== undefined)) {
    return undefined;
  }
  return {
    ...job.finish,
    ...(patch.dtmf !== undefined ? { dtmf: patch.dtmf } : {}),
    ...(job.finish.quality === undefined && patch.quality !== undefined ? { quality: patch.quality } : {}),
  };
}

/**
 * One registration attempt: the figures, `finish`, then the journal is deleted. Throws
 * what the store throws (the journal is then untouched). `finish` is idempotent (the
 * first one wins), so an attempt repeated after a lost answer registers nothing twice.
 */
export async function registerOnce(job: RegistrationJob, conversations: CaptureConversations): Promise<void> {
  const merged = finishWithPatch(job);
  if (!merged && job.patch) {
    try {
      await conversations.update(job.conversationId, job.patch);
    } catch (e) {
      // already finished (an earlier attempt's finish went through): nothing to update
      if (!(isCaptureStoreError(e) && (e.code === 'conflict' || e.code === 'not-found'))) throw e;
    }
  }
  await conversations.finish(job.conversationId, merged ?? job.finish);
  if (job.deleteJournal && job.journalPath) await fs.rm(job.journalPath, { force: true });
}
