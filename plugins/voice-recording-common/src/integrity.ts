/**
 * Integrity of the archive (docs/integrity.md): the verification of one recording,
 * the integrity sweep's figures and the portal's Integrity section.
 */
import type { RecordingSignature } from './compliance';

/**
 * What a verification found:
 * `ok`            the stored archive's hash is the registered one and its signature verifies;
 * `signed`        it was unsigned (a signing failure, or older than signing): it was
 *                 verified against the registered hash and signed now;
 * `unsigned`      unsigned and not signed now (a verification on request does not sign);
 * `mismatch`      the stored bytes' SHA-256 is not the registered (signed) one;
 * `missing`       the archive's file is gone;
 * `bad-signature` the signature does not verify with the installation's key, or does
 *                 not cover this archive.
 */
export type IntegrityOutcome =
  | 'ok'
  | 'signed'
  | 'unsigned'
  | 'mismatch'
  | 'missing'
  | 'bad-signature';

/** Outcomes that raise the integrity alarm. */
export const INTEGRITY_ALARM_OUTCOMES: IntegrityOutcome[] = [
  'mismatch',
  'missing',
  'bad-signature',
];

/** `POST /conversations/:id/verify`. */
export interface RecordingVerification {
  conversationId: string;
  ok: boolean;
  outcome: IntegrityOutcome;
  /** The installation's key id, with which the signature was checked. */
  keyId: string;
  /** SHA-256 of the stored bytes (when readable). */
  sha256?: string;
  bytes?: number;
  /** The registered (signed) SHA-256. */
  expectedSha256?: string;
  signatureId?: string;
  /** One sentence per problem; empty when ok. */
  problems: string[];
  checkedAt: string;
}

/** The last verification of a conversation (vr_integrity_checks). */
export interface IntegrityCheck {
  conversationId: string;
  checkedAt: string;
  outcome: IntegrityOutcome;
  message?: string;
  /** Found by a sweep (its id), or on request (absent). */
  sweepId?: string;
  number?: string;
  userRef?: string;
  startedAt?: string;
}

/** One run of the integrity sweep. */
export interface IntegritySweep {
  id: string;
  startedAt: string;
  finishedAt?: string;
  state: 'running' | 'done' | 'failed';
  checked: number;
  ok: number;
  mismatches: number;
  missing: number;
  /** Unsigned archives found and signed. */
  signed: number;
  /** Bytes re-hashed. */
  bytes: number;
  error?: string;
}

/** `GET /integrity`: the portal's Integrity section. */
export interface IntegrityStatus {
  keyId: string;
  algorithm: 'Ed25519';
  publicKeyPem: string;
  sweep: {
    /** Share of the archive re-hashed per run (0-1]. */
    share: number;
    /** How often it runs, e.g. `every 24 hours`. */
    frequency: string;
    enabled: boolean;
  };
  lastSweep?: IntegritySweep;
  /** Archived conversations (with a stored archive). */
  archived: number;
  /** Of which signed. */
  signed: number;
  /** Of which ever verified. */
  verified: number;
  /** The conversations whose last verification raised the alarm, newest first. */
  problems: IntegrityCheck[];
}

/** `GET /conversations/:id/signatures`. */
export interface ConversationSignatures {
  conversationId: string;
  /** The installation's current key id. */
  keyId: string;
  /** Newest first: the current archive's, then the ones it replaced. */
  signatures: RecordingSignature[];
  lastCheck?: IntegrityCheck;
}
