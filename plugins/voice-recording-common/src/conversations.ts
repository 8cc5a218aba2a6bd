import { ConversationLabel } from './cases';
import { RecordingReason } from './types';

/** Seen from the recorded number: `outgoing` when the recorded party placed the call. */
export type ConversationDirection = 'incoming' | 'outgoing';

/** `recording` while the call lasts; `finished` with its audio; `failed` when it ended in error. */
export type ConversationState = 'recording' | 'finished' | 'failed';

/**
 * Why a recorded conversation ended.
 * - `bye` / `cancel`: the SIP session ended normally (BYE) or before being answered (CANCEL);
 * - `timeout`: no media or no session refresh for too long;
 * - `shutdown`: the recorder stopped and finalized the call in progress;
 * - `recovered-after-crash`: the recorder died and finalized the call from its journal on restart;
 * - `error`: the capture failed (the conversation goes to state `failed`).
 */
export type ConversationEndReason =
  | 'bye'
  | 'cancel'
  | 'timeout'
  | 'shutdown'
  | 'recovered-after-crash'
  | 'error'
  /**
   * The recorder stopped recording mid-call because the recording policy no longer
   * allowed it (an emergency number joined, the number was switched to private mode):
   * the audio before the stop is kept; `Conversation.recordingStopped` says why.
   */
  | 'policy';

/** Why and when the recorder stopped recording a call in progress (endedBy `policy`). */
export interface ConversationRecordingStop {
  /** ISO 8601 instant */
  at: string;
  /** the recording decision's reason, e.g. `emergency-number`, `manual-private` */
  reason: string;
  message: string;
}

/**
 * One participant's time on the call (from the SIPREC metadata and its updates): who was
 * on the call when. `to` is absent while (or when) the participant stayed to the end.
 */
export interface ConversationParticipantPeriod {
  aor: string;
  /** E.164 form when it is a phone number. */
  number?: string;
  name?: string;
  /** True for the recorded number's party. */
  recorded?: boolean;
  /** ISO 8601 instants, as the recorder received the metadata. */
  from: string;
  to?: string;
}

/** A JSON object as stored in the conversation's JSON columns. */
export type ConversationJsonObject = { [key: string]: unknown };

/** One party of a conversation, as the recorder saw it. */
export interface ConversationParticipant {
  /** The address as received: `sip:+32470123456@host`, `tel:+32...`, `0470...`, `Extension-12@host`. */
  aor: string;
  /** E.164 form of `aor` when it is a phone number. */
  number?: string;
  /** Display name, if the metadata carries one. */
  name?: string;
  /** Participant id in the SIPREC metadata, if any. */
  participantId?: string;
  /** True for the recorded number's party. */
  recorded?: boolean;
}

/** A DTMF digit sent during the conversation (RFC 4733 events or SIP INFO). */
export interface ConversationDtmfEvent {
  /** ISO 8601 instant. */
  at: string;
  /** `0`-`9`, `*`, `#`, `A`-`D`. */
  digit: string;
  durationMs?: number;
  /** Who sent it (aor or E.164), if known. */
  party?: string;
}

/**
 * What makes a recording's audio unusable, as its recorder found when it archived it
 * (absent: nothing found, or a recording made before recorders reported it):
 * - `no-media`: no RTP packet arrived on any stream (the archive is silence);
 * - `undecodable-codec`: packets arrived, but none in a codec the recorder decodes
 *   (e.g. G.729 sent after PCMA was agreed): the archive is silence;
 * - `audio-lost`: part of the audio the recorder received is not in the recording (its
 *   journal's disk was full for longer than its memory could hold the call, or stayed
 *   full until the recorder stopped): `ConversationQuality.audioLost` says what, to the
 *   millisecond; the rest of the call is in the recording.
 * The conversation stays `finished` (its archive is evidence of the call);
 * `ConversationQuality` holds the figures behind the flag.
 */
export type ConversationAudioIssue = 'no-media' | 'undecodable-codec' | 'audio-lost';

export const CONVERSATION_AUDIO_ISSUES: readonly ConversationAudioIssue[] = [
  'no-media',
  'undecodable-codec',
  'audio-lost',
];

/** A range of one channel's audio that the recorder received but could not keep. */
export interface ConversationLostAudio {
  /** the recorder's channel (stream) index, as in `ConversationQuality.channels` */
  channel: number;
  /** from the start of the call */
  fromMs: number;
  toMs: number;
  /**
   * `memory-budget`: dropped while the disk was full and the call's buffer was at its
   * budget; `not-written`: still in memory when the recorder stopped with the disk full
   */
  reason: string;
}

/** Packets of one payload type that the recorder could not decode. */
export interface ConversationUndecodablePayload {
  payloadType: number;
  /** Encoding name of a static payload type (RFC 3551), e.g. `G729`; absent for dynamic ones. */
  codec?: string;
  packets: number;
}

/** What the recorder measured about the media; recorder-specific fields may be added. */
export interface ConversationQuality {
  packetsReceived?: number;
  packetsLost?: number;
  /** Packets whose audio is in the recording. */
  audioPackets?: number;
  /** Packets in codecs the recorder cannot decode (their audio is not in the recording). */
  undecodable?: ConversationUndecodablePayload[];
  /** Gaps in the audio (missing media longer than the jitter buffer could hide). */
  gaps?: number;
  gapMs?: number;
  jitterMs?: number;
  /** Only one side of the conversation carried media. */
  oneSided?: boolean;
  /** Time of the call during which some received audio is not in the recording (audio issue `audio-lost`). */
  audioLostMs?: number;
  /** What is missing, per channel. */
  audioLost?: ConversationLostAudio[];
  [key: string]: unknown;
}

/** The quality check's verdict on a recording (see ConversationQualityCheck). */
export type QualityVerdict = 'ok' | 'warning' | 'failed';

export const QUALITY_VERDICTS: readonly QualityVerdict[] = ['ok', 'warning', 'failed'];

/**
 * Why a recording is not `ok`, as machine codes (a newer recorder may add codes):
 * - `no-media`, `undecodable-codec`, `audio-lost`: its audio issues (failed);
 * - `missing-stream`: two streams were offered, RTP arrived on one only (failed);
 * - `silent`: RTP arrived, but neither channel holds speech (failed);
 * - `one-way`: one channel silent while the other speaks (failed);
 * - `packet-loss`: lost packets over the warning (or failed) share;
 * - `jitter`: packets too late for the jitter buffer (or a reported jitter) over the threshold (warning);
 * - `clipping`: a channel's speech clipped over the threshold (warning);
 * - `short-call`: shorter than the minimum duration (warning);
 * - `rtp-gap`: RTP lost on a channel for longer than the threshold at a stretch (warning).
 */
export type QualityReasonCode =
  | 'no-media'
  | 'undecodable-codec'
  | 'audio-lost'
  | 'missing-stream'
  | 'silent'
  | 'one-way'
  | 'packet-loss'
  | 'jitter'
  | 'clipping'
  | 'short-call'
  | 'rtp-gap';

/** One finding of the quality check. */
export interface QualityReason {
  code: QualityReasonCode | string;
  /** the verdict this finding alone leads to */
  severity: 'warning' | 'failed';
  /** readable sentence with the figures, e.g. `Packet loss 10.2% (warning from 5%)` */
  text: string;
}

/** Speech activity of one side of the recording (20 ms frames). */
export interface QualityChannelActivity {
  /** `recorded` (left channel of the archive) or `other` (right) */
  side: 'recorded' | 'other';
  /** share of the frames that hold speech, 0..1 */
  speechShare: number;
  /** share of the speech frames that are clipped, 0..1 */
  clippedShare: number;
}

/**
 * The recorder's quality check of a recording, made when the call is archived (never on
 * the real-time path): the verdict is the worst of its reasons' severities, `ok` when
 * there is none. Absent for recordings archived before recorders made it.
 */
export interface ConversationQualityCheck {
  verdict: QualityVerdict;
  reasons: QualityReason[];
  channels: QualityChannelActivity[];
  /** lost / (received + lost) over all streams, 0..1 (absent without figures) */
  packetLossShare?: number;
  /** longest stretch of lost RTP on one channel (ms) */
  longestGapMs?: number;
  /** ISO 8601 instant of the check */
  checkedAt: string;
}

/** One recorded call. Its id is a stable UUID; its audio is immutable once finished. */
export interface Conversation {
  id: string;
  /** The recorded number's id; absent when that number has since been deleted. */
  recordedNumberId?: string;
  /** The recorded number, E.164 (kept when the number is deleted). */
  number: string;
  /** The recorded number's user at the time of the call. */
  userRef: string;
  direction?: ConversationDirection;
  /** The other party: E.164 when it is a phone number, else the address's user part. */
  otherParty?: string;
  /** ISO 8601 instants. */
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  /** Codec of the received media, e.g. `PCMA/8000`. */
  codec?: string;
  sipCallId: string;
  siprecSessionId?: string;
  participants: ConversationParticipant[];
  /**
   * Who was on the call when, oldest first (absent for conversations recorded before
   * recorders kept it): `participants` are the last set.
   */
  participantHistory?: ConversationParticipantPeriod[];
  /** Set when the recorder stopped the recording mid-call (endedBy `policy`). */
  recordingStopped?: ConversationRecordingStop;
  /** Recording metadata kept as received (e.g. SIPREC extension data). */
  metadata: ConversationJsonObject;
  dtmf: ConversationDtmfEvent[];
  quality?: ConversationQuality;
  /** The quality check made when the call was archived (verdict and reasons). */
  qualityCheck?: ConversationQualityCheck;
  state: ConversationState;
  /**
   * Why the recording holds no usable audio (see ConversationAudioIssue); absent when
   * it has audio. Codes a newer recorder adds are passed through as they are.
   */
  audioIssues?: ConversationAudioIssue[];
  endedBy?: ConversationEndReason;
  /** Why the conversation failed (state `failed`). */
  failureReason?: string;
  /** Where the audio is, in the recorder's storage. */
  storageKey?: string;
  /** Hex SHA-256 of the stored audio. */
  sha256?: string;
  bytes?: number;
  /** Audio container/codec, e.g. `audio/ogg; codecs=opus` or `wav`. */
  format?: string;
  /**
   * Set while the stored audio is a lossless interim archive that its recorder will
   * replace with this format in the background (then storageKey, sha256, bytes and format
   * change, and an audit entry keeps both hashes).
   */
  compressTo?: 'opus';
  /** Id of the capture source that recorded it, e.g. `siprec`. */
  captureSource: string;
  /** Recorder instance (host/pod) that recorded it, if the source said. */
  captureInstance?: string;
  /**
   * Where the archive is when not (yet) in the configured store: `staged:<instance>`
   * while it waits on that recorder's disk for its upload to object storage (issue 20,
   * docs/object-storage.md); absent once it is in the store.
   */
  storageLocation?: string;
  /** The labels it carries (a case's label puts it in the case), in lists and details. */
  labels?: ConversationLabel[];
  /**
   * Under legal hold: it carries the label of a case with a standing hold (active or
   * release requested), so it cannot be disposed of nor lose that label. A standard user
   * is told only of holds on the cases they may see.
   */
  legalHold?: boolean;
  /** The standing holds (admins only: those who read every conversation). */
  legalHolds?: ConversationLegalHold[];
  /**
   * ISO instant after which it may be disposed of (docs/retention.md): set when it is
   * archived, re-computed when a retention policy changes; absent while recording.
   */
  retentionUntil?: string;
  /** The retention policy that set retentionUntil; absent: the regulatory minimum. */
  retentionPolicyId?: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Why a recording session was refused: a recording decision's reason, or one of the
 * recorder's own reasons.
 */
export type RefusalReason =
  | Exclude<RecordingReason, 'recording'>
  | 'unknown-number'
  | 'simultaneous-calls'
  | 'no-capacity'
  | 'invalid-request'
  | 'unsupported-media'
  | 'storage-unavailable'
  | 'error';

/** A recording session that the recorder refused (kept as proof of recording). */
export interface RefusedSession {
  id: string;
  /** ISO 8601 instant. */
  at: string;
  participants: ConversationParticipant[];
  recordedNumberId?: string;
  number?: string;
  userRef?: string;
  reason: RefusalReason;
  message?: string;
  sipCallId: string;
  siprecSessionId?: string;
  /** SIP response code sent, e.g. 403, 480, 488, 503. */
  responseCode: number;
  captureSource: string;
  captureInstance?: string;
}

/** `G729` → `G.729` (ITU-T names), others as they are. */
function codecName(codec: string): string {
  return /^G\d{3}$/.test(codec) ? `G.${codec.slice(1)}` : codec;
}

/**
 * Readable text of an audio issue, with the figures behind it, e.g. `No usable audio: 0
 * RTP packets received` or `No usable audio: the audio was in a codec the recorder
 * cannot decode (G.729, PT 18: 300 packets)`. Unknown codes are returned as they are.
 */
export function audioIssueText(
  issue: string,
  quality?: ConversationQuality,
): string {
  if (issue === 'no-media') {
    const received = quality?.packetsReceived;
    return `No usable audio: ${
      typeof received === 'number' ? received : 'no'
    } RTP packets received`;
  }
  if (issue === 'undecodable-codec') {
    const payloads = Array.isArray(quality?.undecodable)
      ? quality!.undecodable
      : [];
    const list = payloads
      .map(
        p =>
          `${p.codec ? `${codecName(String(p.codec))}, ` : ''}PT ${
            p.payloadType
          }: ${p.packets} packet${p.packets === 1 ? '' : 's'}`,
      )
      .join('; ');
    return `No usable audio: the audio was in a codec the recorder cannot decode${
      list ? ` (${list})` : ''
    }`;
  }
  if (issue === 'audio-lost') {
    const s = (ms: unknown) => (Number(ms) / 1000).toFixed(1);
    const ranges = Array.isArray(quality?.audioLost)
      ? quality!.audioLost
          .map(r => `channel ${r.channel}: ${s(r.fromMs)}–${s(r.toMs)} s`)
          .join('; ')
      : '';
    return `Audio missing: ${
      typeof quality?.audioLostMs === 'number'
        ? `${s(quality.audioLostMs)} s of the call`
        : 'part of the call'
    } not recorded (the recorder's disk was full)${ranges ? ` (${ranges})` : ''}`;
  }
  return issue;
}

/** A standing legal hold on a conversation, as admins see it in lists and details. */
export interface ConversationLegalHold {
  id: string;
  caseId: string;
  caseTitle: string;
  /** The matter's reference (court, regulator, internal ticket). */
  reference: string;
  state: 'active' | 'release-requested';
}
