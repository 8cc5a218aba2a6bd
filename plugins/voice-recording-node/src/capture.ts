import { ArchiveJobQueue } from './archiveJobs';
import { BlobStore } from './storage';
import { NumbersChangedEventPayload } from './events';
import {
  createExtensionPoint,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  Conversation,
  ConversationAudioIssue,
  ConversationDirection,
  ConversationDtmfEvent,
  ConversationEndReason,
  ConversationJsonObject,
  ConversationParticipant,
  ConversationQuality,
  ConversationQualityCheck,
  ConversationRecordingStop,
  NumberSettings,
  RecordingDecision,
  RefusalReason,
  RefusedSession,
} from '@mvr/plugin-voice-recording-common';

/**
 * The contract between the voice-recording backend plugin and its capture modules
 * (recorders such as the SIPREC module).
 *
 * The plugin owns the recorded numbers, the recording decision and the conversation
 * records; a capture source owns the protocol and the audio. A source:
 * 1. asks `policy.lookupAndDecide` for every new session and refuses it (after
 *    `conversations.recordRefused`) unless `decision.record` is true, also refusing when
 *    `recordedNumber.settings.simultaneousCalls` is false and `conversations.activeCount`
 *    is already above zero;
 * 2. calls `conversations.begin` when it accepts, `update` as metadata/DTMF/quality arrive,
 *    and `finish` once the audio is stored (retrying `finish` while the store is unavailable);
 * 3. on `stop()` finalizes its calls in progress (`endedBy: 'shutdown'`), and on `start()`
 *    finalizes what a crash left behind (`listInProgress`, `endedBy: 'recovered-after-crash'`).
 */

/** A participant given as its raw address, or with what the metadata says about it. */
export type CaptureParticipantInput = string | ConversationParticipant;

export interface LookupAndDecideRequest {
  /**
   * The session's participants as raw AoRs or numbers (`sip:+32470123456@host`,
   * `tel:+32...`, `0470 12 34 56`, `32470123456`), in metadata order: the first one is
   * taken to be the caller when no direction hint is given.
   */
  participants: string[];
  /** When the session started. */
  at: Date;
  hints?: {
    /** The recorded party, when the network says which one it is (e.g. vendor extension data). */
    recordedParty?: string;
    /** Direction as seen from the recorded party, when the network says. */
    direction?: ConversationDirection;
  };
}

/** The recorded number a session belongs to. */
export interface CaptureRecordedNumber {
  id: string;
  /** E.164 */
  number: string;
  userRef: string;
  mvrActive: boolean;
  settings: NumberSettings;
}

/** The decision for a session none of whose participants is a recorded number. */
export interface UnknownNumberDecision {
  record: false;
  reason: 'unknown-number';
  beep: false;
  message: string;
}

export interface LookupAndDecideResult {
  /** Absent when no participant is a recorded number. */
  recordedNumber?: CaptureRecordedNumber;
  /** From the hint, else from the participants' order (recorded party first = outgoing). */
  direction?: ConversationDirection;
  /** E.164 when it is a phone number, else the address's user part (`112`, `Extension-12`). */
  otherParty?: string;
  /** The participants, normalised (`number` in E.164 where possible, `recorded` marked). */
  participants: ConversationParticipant[];
  decision: RecordingDecision | UnknownNumberDecision;
}

export interface CapturePolicy {
  /**
   * Finds the recorded number among the participants (E.164 match after normalisation
   * with the configured default country), derives direction and other party, and decides
   * with the plugin's recording rules and configured emergency numbers.
   * Never records an unknown number. Throws CaptureStoreError when the database fails.
   */
  lookupAndDecide(
    request: LookupAndDecideRequest,
  ): Promise<LookupAndDecideResult>;
}

export interface BeginConversationInput {
  /**
   * The conversation's stable id (a UUID). Give it to make `begin` safe to retry (a second
   * call with the same id returns the existing conversation); generated when absent.
   */
  id?: string;
  recordedNumber: Pick<CaptureRecordedNumber, 'id' | 'number' | 'userRef'>;
  direction?: ConversationDirection;
  otherParty?: string;
  startedAt: Date;
  codec?: string;
  sipCallId: string;
  siprecSessionId?: string;
  participants: CaptureParticipantInput[];
  metadata?: ConversationJsonObject;
  /** The recorder instance (host, pod) that records the call. */
  instanceId?: string;
}

/** Each given field replaces the stored value. Finished conversations cannot be updated. */
export interface ConversationPatch {
  direction?: ConversationDirection;
  otherParty?: string;
  codec?: string;
  siprecSessionId?: string;
  /**
   * The participant set now (a complete set: it replaces the stored one). The
   * conversation's participant history closes the periods of those who left and opens
   * periods for those who joined, at `participantsChangedAt` (default: now).
   */
  participants?: CaptureParticipantInput[];
  participantsChangedAt?: Date;
  metadata?: ConversationJsonObject;
  dtmf?: ConversationDtmfEvent[];
  quality?: ConversationQuality;
}

export interface FinishConversationInput {
  endedAt: Date;
  endedBy: ConversationEndReason;
  /** Where the stored audio is; absent when no audio could be stored (state `failed`). */
  storageKey?: string;
  /** Hex SHA-256 of the stored audio. */
  sha256?: string;
  bytes?: number;
  /** e.g. `audio/ogg; codecs=opus` */
  format?: string;
  durationMs?: number;
  quality?: ConversationQuality;
  /**
   * The call's DTMF events, written with the finish (the recorder's registration: one
   * statement instead of an update before it); absent: the stored events are kept.
   */
  dtmf?: ConversationDtmfEvent[];
  /**
   * Why the recording holds no usable audio (no RTP at all, only undecodable codecs);
   * absent or empty when it has audio. The conversation is still `finished` when an
   * archive was stored.
   */
  audioIssues?: ConversationAudioIssue[];
  /** The recorder's quality check of the recording (verdict and reasons), made as it archived it. */
  qualityCheck?: ConversationQualityCheck;
  /** Why the capture failed; with endedBy `error`. */
  failureReason?: string;
  /** With endedBy `policy`: why and when the recorder stopped recording the call. */
  recordingStopped?: ConversationRecordingStop;
  /**
   * The stored audio is an interim lossless file, to be compressed to this format in the
   * background (see `listArchivesToCompress` / `replaceArchive`).
   */
  compressTo?: ArchiveCompressionTarget;
  /**
   * Where the stored audio is when not in the configured store: `staged:<instance>` when
   * the recorder staged it on its own disk for a later upload (docs/object-storage.md).
   */
  storageLocation?: string;
}

/** Formats an interim archive is compressed to. */
export type ArchiveCompressionTarget = 'opus';

/**
 * A finished conversation whose archive still needs work from its recorder: compression
 * of an interim archive (`compressTo`), and/or deleting the archive it replaced
 * (`supersededStorageKey`, kept until that file is gone).
 */
export interface ArchiveToCompress {
  conversationId: string;
  startedAt: string;
  storageKey: string;
  sha256: string;
  /** content type of the stored archive */
  format: string;
  durationMs?: number;
  compressTo?: ArchiveCompressionTarget;
  supersededStorageKey?: string;
  /** with compressTo: the call's SIP Call-ID and how it ended (the compressed file's tags) */
  sipCallId?: string;
  endedBy?: ConversationEndReason;
}

/** The compressed archive that replaces an interim one. */
export interface ReplaceArchiveInput {
  /** the archive being replaced, as listed: the replacement happens only if it is still stored */
  expected: { storageKey: string; sha256: string };
  storageKey: string;
  sha256: string;
  bytes: number;
  /** content type, e.g. `audio/ogg; codecs=opus` */
  format: string;
  /**
   * Where the new archive is (see FinishConversationInput.storageLocation): `staged:<instance>`
   * or null (in the configured store). Absent: unchanged.
   */
  storageLocation?: string | null;
}

export interface RecordRefusedInput {
  /**
   * The record's stable id (a UUID). Give it to make `recordRefused` safe to retry (a
   * record already kept under that id is returned as it is, and not audited twice);
   * generated when absent.
   */
  id?: string;
  at: Date;
  participants: CaptureParticipantInput[];
  recordedNumber?: Pick<CaptureRecordedNumber, 'id' | 'number' | 'userRef'>;
  reason: RefusalReason;
  message?: string;
  sipCallId: string;
  siprecSessionId?: string;
  /** The SIP response code sent. */
  responseCode: number;
  instanceId?: string;
}

/** What `withdrawRefused` did. */
export interface WithdrawRefusedResult {
  /** false when the conversation was already gone (a retry, or it was never written) */
  withdrawn: boolean;
  /** the refused session kept (the one already kept under the refusal's id, if any) */
  refused: RefusedSession;
}

export interface CaptureConversations {
  /** Creates the conversation in state `recording`; returns its id. */
  begin(input: BeginConversationInput): Promise<string>;
  /** Throws CaptureStoreError `not-found` / `conflict` (already finished). */
  update(id: string, patch: ConversationPatch): Promise<void>;
  /**
   * Finalizes the conversation: state `finished`, or `failed` when endedBy is `error` or no
   * audio was stored. Idempotent: finishing a conversation that is no longer `recording`
   * returns it unchanged (the first finish wins), so callers may retry after a failure.
   * Retry while it throws a CaptureStoreError with `retryable` true (database outage).
   */
  finish(id: string, input: FinishConversationInput): Promise<Conversation>;
  /** Keeps the refused session as proof of recording and audits it. */
  recordRefused(input: RecordRefusedInput): Promise<RefusedSession>;
  /**
   * A call refused after its conversation was begun (e.g. `begin` committed after the
   * call set-up budget, so the call was answered 503 and recorded elsewhere): in one
   * transaction, deletes the conversation (and its dependent rows) while it is still
   * `recording` with no archive, and keeps `refusal` as the refused session (under its
   * `id`: give the id of the record the refusal was already written with, so the
   * session is kept once). Idempotent: a conversation already gone only keeps the
   * refused session. Audited (the withdrawal, and the refusal when it is new). Throws
   * CaptureStoreError `conflict` when the conversation is no longer withdrawable
   * (finished, failed, or an archive registered): nothing is changed then.
   * Optional: a plugin that cannot withdraw leaves it out (the recorder then finishes
   * the conversation as failed).
   */
  withdrawRefused?(id: string, refusal: RecordRefusedInput): Promise<WithdrawRefusedResult>;
  /**
   * Conversations of the number in state `recording` (for the simultaneous-calls setting),
   * leaving out `excluding`: calls whose dialog has ended but whose archive is not
   * registered yet (they are no longer calls in progress).
   */
  activeCount(recordedNumberId: string, options?: { excluding?: string[] }): Promise<number>;
  /**
   * Conversations of this capture source still in state `recording` (all instances, or
   * one): what a crash left behind, to finalize with `recovered-after-crash` at start.
   */
  listInProgress(options?: { instanceId?: string }): Promise<Conversation[]>;
  get(id: string): Promise<Conversation | undefined>;
  /**
   * Finished conversations of this capture source (one instance, or all) whose archive
   * awaits compression or whose replaced archive awaits deletion, oldest first.
   */
  listArchivesToCompress(options: { instanceId?: string; limit: number }): Promise<ArchiveToCompress[]>;
  /**
   * Points the conversation at its compressed archive, keeps the replaced key as
   * `supersededStorageKey` (delete that file, then call `forgetSupersededArchive`) and
   * audits both SHA-256 (chain of custody). `stale` when the conversation no longer
   * stores `expected` or awaits no compression: nothing is changed then.
   */
  replaceArchive(id: string, input: ReplaceArchiveInput): Promise<'replaced' | 'stale'>;
  /** The replaced archive's file is deleted: forget its key. */
  forgetSupersededArchive(id: string, storageKey: string): Promise<void>;
  /**
   * Sets where the archive stored under `storageKey` is (`storage_location`): null once an
   * upload has put it into the configured store and verified it. With `expected`, only
   * conversations whose location is that now. Returns how many conversations changed.
   * Optional: a plugin without object storage support leaves it out.
   */
  setArchiveLocation?(storageKey: string, location: string | null, options?: { expected?: string }): Promise<number>;
}

/** What the plugin's configuration says that matters to a recorder. */
export interface CaptureSettings {
  /** ISO 3166 alpha-2 country national numbers are read in. */
  defaultCountry: string;
  /** Numbers whose calls are never recorded. */
  emergencyNumbers: string[];
}

/** Given to a capture source's `start`. A source reads its own config subtree itself. */
export interface CaptureContext {
  policy: CapturePolicy;
  conversations: CaptureConversations;
  /** The plugin's logger, child with `captureSource: <id>`. */
  logger: LoggerService;
  config: CaptureSettings;
  /**
   * Subscribes to changes of recorded numbers made through the plugin (mode, settings,
   * schedules, deletions: the events of VOICE_RECORDING_NUMBERS_TOPIC), so that a source
   * can decide again for its calls in progress (e.g. stop recording a number switched to
   * private mode). Returns the unsubscribe function. Absent when the plugin cannot say.
   */
  onNumbersChanged?(listener: (change: NumbersChangedEventPayload) => void): () => void;
  /**
   * The plugin's recording storage (config `voiceRecording.storage`): where the portal
   * reads audio from. A recorder stores finished audio here (and records the key on
   * the conversation); absent only in tests that give none.
   */
  storage?: BlobStore;
  /**
   * The archive work queue (uploads, compression, derived files; `archiveJobs.ts`).
   * Absent only in tests that give none.
   */
  archiveJobs?: ArchiveJobQueue;
}

/** A recorder attached to the voice-recording plugin. */
export interface CaptureSource {
  /** Stable id, e.g. `siprec`; stored on its conversations. */
  readonly id: string;
  /** Starts listening; called once the plugin's router is up. */
  start(ctx: CaptureContext): Promise<void>;
  /** Stops accepting sessions and finalizes the calls in progress (awaited at shutdown). */
  stop(): Promise<void>;
}

export interface VoiceRecordingCaptureExtensionPoint {
  addCaptureSource(source: CaptureSource): void;
}

/** Modules attach recorders (capture sources) to the voice-recording plugin through this. */
export const voiceRecordingCaptureExtensionPoint =
  createExtensionPoint<VoiceRecordingCaptureExtensionPoint>({
    id: 'voice-recording.capture',
  });

/**
 * What went wrong in the conversation store:
 * - `unavailable`: the database could not be reached or was busy (retryable);
 * - `not-found`: no conversation with that id;
 * - `conflict`: the conversation is no longer `recording`, or an id is reused;
 * - `invalid`: the input was refused by the store;
 * - `failed`: any other database error.
 */
export type CaptureStoreErrorCode =
  | 'unavailable'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'failed';

/**
 * Thrown by every method of CapturePolicy and CaptureConversations when the store fails.
 * Detect it with `isCaptureStoreError(e)` (works across package copies) and retry while
 * `e.retryable` (database outage); a `finish` must be retried until it succeeds.
 */
export class CaptureStoreError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: CaptureStoreErrorCode,
    /** e.g. `conversations.finish` */
    readonly operation: string,
    message: string,
    readonly cause?: unknown,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'CaptureStoreError';
    this.retryable = code === 'unavailable';
  }
}

export function isCaptureStoreError(e: unknown): e is CaptureStoreError {
  return (
    e instanceof CaptureStoreError ||
    (typeof e === 'object' &&
      e !== null &&
      (e as Error).name === 'CaptureStoreError' &&
      typeof (e as CaptureStoreError).code === 'string')
  );
}
