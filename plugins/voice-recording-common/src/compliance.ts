/**
 * The compliance archive (issue 18): retention and disposal, legal hold, signed
 * recordings, the tamper-evident audit trail and regulator exports. Types shared by
 * the backend, the portal and the verification command, and the canonical form of
 * what gets signed (so that every signer and verifier agrees byte for byte).
 */

// ---------------------------------------------------------------------------
// Retention and disposal

/** What a retention policy applies to: everything, catalog groups, or numbers. */
export type RetentionScope =
  | { kind: 'default' }
  | { kind: 'groups'; groupRefs: string[] }
  | { kind: 'numbers'; numberIds: string[] };

export interface RetentionPolicy {
  id: string;
  name: string;
  /** ISO 8601 duration in years, months and days, e.g. `P5Y`, `P7Y`, `P1Y6M`. */
  period: string;
  scope: RetentionScope;
  /** `config`: declared in app-config (read-only in the portal); `portal`: managed there. */
  source: 'config' | 'portal';
  createdAt: string;
  updatedAt: string;
}

/** `POST /retention/policies`, `PUT /retention/policies/:id` (validated by the route). */
export interface RetentionPolicyInput {
  name: string;
  period: string;
  scope: RetentionScope;
}

/** A policy as listed: who made it and how many archived conversations it governs now. */
export interface RetentionPolicyView extends RetentionPolicy {
  createdBy: string;
  updatedBy: string;
  conversationCount: number;
  /** Shorter than the regulatory minimum: it never wins (the minimum applies). */
  belowMinimum: boolean;
}

/** `GET /retention/policies` */
export interface RetentionOverview {
  minimumPeriod: string;
  policies: RetentionPolicyView[];
  /** Archived conversations kept for the regulatory minimum (no policy won). */
  minimumCount: number;
}

/** A conversation's retention as archived: the longest applicable policy wins. */
export interface ConversationRetention {
  /** ISO instant after which the conversation may be disposed of. */
  retentionUntil: string;
  policyId?: string;
  policyName?: string;
}

/** What remains of a disposed conversation, kept after its audio is gone. */
export interface DisposalRecord {
  conversationId: string;
  number: string;
  userRef: string;
  participants: string[];
  direction?: string;
  startedAt: string;
  endedAt?: string;
  /** SHA-256 of the archive that was deleted. */
  sha256?: string;
  policyId?: string;
  policyName?: string;
  retentionUntil: string;
  disposedAt: string;
  jobRunId: string;
}

/** A conversation due for disposal (upcoming list and dry run). */
export interface UpcomingDisposal {
  conversationId: string;
  number: string;
  userRef: string;
  startedAt: string;
  retentionUntil: string;
  policyName?: string;
  /** Held conversations are listed but never disposed of. */
  legalHold: boolean;
  /**
   * Set while a disposal is under way or stuck: `disposing`, `delete-failed` (a file
   * could not be deleted; retried by the next run), `held` (a hold came mid-disposal),
   * `locked` (a file is under S3 Object Lock: kept until the lock's date, then retried).
   */
  disposalState?: string;
  /** Why the last attempt failed, when it did. */
  disposalError?: string;
}

/** `POST /disposals/dry-run`: what a run would dispose of now. */
export interface DisposalDryRunResult {
  at: string;
  /** due now, held ones included (flagged) */
  total: number;
  held: number;
  items: UpcomingDisposal[];
}

/** `POST /disposals/run`: what a run did. */
export interface DisposalRunSummary {
  runId: string;
  state: 'done' | 'failed';
  disposed: number;
  /** due conversations skipped because a legal hold stands */
  held: number;
  /** conversations whose files could not all be deleted (retried next run) */
  failed: number;
  /**
   * conversations kept because a file is under S3 Object Lock (retention or an S3 legal
   * hold): nothing of them deleted, retried after the lock's date (docs/retention.md)
   */
  locked?: number;
  error?: string;
}

// ---------------------------------------------------------------------------
// Legal hold

/**
 * `active`: conversations carrying the case's label are held; `release-requested`:
 * still held, waiting for a second admin; `released`: no longer holds anything.
 */
export type LegalHoldState = 'active' | 'release-requested' | 'released';

export interface LegalHold {
  id: string;
  caseId: string;
  caseTitle: string;
  labelId: string;
  reason: string;
  /** The matter's reference (court, regulator, internal ticket). */
  reference: string;
  state: LegalHoldState;
  placedBy: string;
  placedAt: string;
  releaseRequestedBy?: string;
  releaseRequestedAt?: string;
  releaseReason?: string;
  releasedBy?: string;
  releasedAt?: string;
  /** Conversations held by it now. */
  conversationCount?: number;
}

// ---------------------------------------------------------------------------
// Signed recordings

/** Version tag of the signed payload (`SignedRecordingPayload.v`). */
export const SIGNED_RECORDING_PAYLOAD_VERSION = 1;

/**
 * What a recording's signature covers: its content hash and its metadata. Signed as
 * {@link canonicalJson} of this object with the installation's Ed25519 key.
 */
export interface SignedRecordingPayload {
  v: 1;
  conversationId: string;
  /** SHA-256 (hex) of the archive's plaintext bytes, as exported. */
  sha256: string;
  bytes: number;
  /** e.g. `audio/ogg; codecs=opus`, `audio/wav` */
  format: string;
  number: string;
  userRef: string;
  participants: string[];
  direction?: string;
  otherParty?: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  /** Recorder instance that took the call. */
  recorderInstance?: string;
  /** SHA-256 of the archive this one replaced (lossless journal/WAV → Opus). */
  replacesSha256?: string;
  signedAt: string;
}

/** A stored signature, as served and exported. */
export interface RecordingSignature {
  id: string;
  conversationId: string;
  keyId: string;
  /** The exact signed bytes: canonical JSON of a {@link SignedRecordingPayload}. */
  payload: string;
  /** Base64 Ed25519 signature over `payload` (UTF-8). */
  signature: string;
  /** The signature this one superseded (the archive it replaced), if any. */
  replacesId?: string;
  signedAt: string;
}

/**
 * Deterministic JSON: object keys sorted, no whitespace, `undefined` members left
 * out. Used for everything that is signed or hashed (recording payloads, audit
 * entries, export manifests).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value
      .map(v => (v === undefined ? 'null' : canonicalJson(v)))
      .join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter(k => obj[k] !== undefined)
    .sort();
  return `{${keys
    .map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

// ---------------------------------------------------------------------------
// Tamper-evident audit trail

export interface AuditChainVerification {
  ok: boolean;
  /** Entries walked. */
  checked: number;
  /** Hash of the last entry walked (the chain's head). */
  headHash?: string;
  /** The first broken link, when `ok` is false. */
  firstBroken?: {
    /** Sequence number (id) of the entry where the chain breaks. */
    seq: number;
    reason:
      | 'edited'
      | 'deleted-before'
      | 'reordered'
      | 'bad-head-signature'
      /** Entries a signed head names are gone from the end of the trail. */
      | 'truncated';
    message: string;
  };
  /** Signed daily heads checked (signature, and the chain passes through them). */
  signedHeads?: number;
  /** The latest signed day (YYYY-MM-DD, UTC). */
  lastSignedDay?: string;
  /** Entries from the latest signed head on: not yet covered by a signature. */
  unsignedEntries?: number;
  /** When the walk ran (ISO). */
  verifiedAt?: string;
  /**
   * Breaks found at entries accepted after an investigation (configuration
   * `voiceRecording.auditTrail.acceptedBreaks`): reported, not failing.
   */
  acceptedBreaks?: Array<{ seq: number; reason: string; message: string }>;
}

// ---------------------------------------------------------------------------
// Regulator and client export

export type ExportScope =
  | { kind: 'case'; caseId: string }
  | {
      kind: 'search';
      /** The same filters as GET /conversations (query-string names and values). */
      filters: Record<string, string | string[]>;
    }
  | { kind: 'number'; numberId: string; from: string; to: string };

/** `expired`: done, and its package deleted once past `expiresAt`. */
export type ExportJobState = 'queued' | 'running' | 'done' | 'failed' | 'expired';

export interface ExportJob {
  id: string;
  scope: ExportScope;
  /** Human description of the scope, e.g. "Case: Project Falcon". */
  scopeTitle: string;
  includeMp3: boolean;
  state: ExportJobState;
  requestedBy: string;
  requestedAt: string;
  /** Conversations done / in all (progress). */
  done: number;
  total: number;
  finishedAt?: string;
  /** SHA-256 of the ZIP package (audited). */
  sha256?: string;
  bytes?: number;
  error?: string;
  /** When the package is deleted (done jobs). */
  expiresAt?: string;
  /** Conversations of the scope left out because they have no audio. */
  skipped?: number;
}

/** `manifest.json` format tag of an export package. */
export const EXPORT_MANIFEST_FORMAT = 'mvr-export/1';

/**
 * An export package (ZIP) holds:
 *   README.txt         how to verify, for the recipient
 *   public-key.pem     the installation's Ed25519 public key (SPKI PEM)
 *   manifest.json      this object
 *   manifest.json.sig  base64 Ed25519 signature over manifest.json's exact bytes
 *   manifest.csv       one row per conversation (spreadsheet-safe cells)
 *   audio/<file>       each archive as stored (decrypted), e.g. `<id>.ogg`
 *   mp3/<file>         MP3 copies when asked for (not signed: derived)
 *   SHA256SUMS         `<hex>  <path>` for every other file
 */
export interface ExportManifest {
  format: typeof EXPORT_MANIFEST_FORMAT;
  exportId: string;
  createdAt: string;
  createdBy: string;
  scope: ExportScope;
  scopeTitle: string;
  /** Id of the key that signed the recordings and this manifest. */
  keyId: string;
  conversations: ExportManifestConversation[];
}

export interface ExportManifestConversation {
  id: string;
  number: string;
  userRef: string;
  participants: string[];
  direction?: string;
  otherParty?: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  recorderInstance?: string;
  audio: { file: string; sha256: string; bytes: number; format: string };
  mp3?: { file: string; sha256: string; bytes: number };
  /** The current archive's signature, then the ones it superseded (newest first). */
  signatures: RecordingSignature[];
  labels: string[];
  cases: string[];
  retentionUntil?: string;
  legalHold: boolean;
}
