/** Types of the integrity routes (docs/api.md "Integrity"), for the API and the pages. */
export type {
  ConversationSignatures,
  IntegrityCheck,
  IntegrityOutcome,
  IntegrityStatus,
  IntegritySweep,
  RecordingSignature,
  RecordingVerification,
} from '@mvr/plugin-voice-recording-common';

/** `GET /signing/public-key`. */
export interface SigningPublicKey {
  keyId: string;
  algorithm: 'Ed25519';
  publicKeyPem: string;
}
