/*
 * Signing finalized recordings (docs/integrity.md "What is signed"): a signature over
 * the archive's content hash and the conversation's metadata, with the installation's
 * Ed25519 key, stored in vr_recording_signatures.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  canonicalJson,
  Conversation,
  SIGNED_RECORDING_PAYLOAD_VERSION,
  SignedRecordingPayload,
} from '@mvr/plugin-voice-recording-common';
import { RecordingSigner } from '@mvr/plugin-voice-recording-node';
import {
  RecordingSignaturesStore,
  StoredRecordingSignature,
} from '../database/RecordingSignaturesStore';

/** The parties as signed and exported: each participant's E.164 number, else its address. */
export function signedParticipants(
  c: Pick<Conversation, 'participants'>,
): string[] {
  return c.participants.map(p => p.number ?? p.aor);
}

/** The payload that signs a conversation's current archive. */
export function recordingPayload(
  c: Conversation,
  signedAt: Date,
  replacesSha256?: string,
): SignedRecordingPayload {
  if (!c.storageKey || !c.sha256 || c.bytes === undefined || !c.format)
    throw new Error(
      `conversation ${c.id} has no finalized archive to sign (storage key, hash, size and format)`,
    );
  return {
    v: SIGNED_RECORDING_PAYLOAD_VERSION,
    conversationId: c.id,
    sha256: c.sha256,
    bytes: c.bytes,
    format: c.format,
    number: c.number,
    userRef: c.userRef,
    participants: signedParticipants(c),
    direction: c.direction,
    otherParty: c.otherParty,
    startedAt: c.startedAt,
    endedAt: c.endedAt,
    durationMs: c.durationMs,
    recorderInstance: c.captureInstance,
    replacesSha256,
    signedAt: signedAt.toISOString(),
  };
}

export interface RecordingSigningOptions {
  signer: RecordingSigner;
  store: RecordingSignaturesStore;
  logger: LoggerService;
}

/** Signs archives and stores their signatures. */
export class RecordingSigning {
  constructor(private readonly opts: RecordingSigningOptions) {}

  get keyId(): string {
    return this.opts.signer.keyId;
  }

  get publicKeyPem(): string {
    return this.opts.signer.publicKeyPem;
  }

  get store(): RecordingSignaturesStore {
    return this.opts.store;
  }

  /**
   * Signs the conversation's current archive, unless its newest signature already
   * covers that archive (same hash and storage key): idempotent. When the newest
   * signature is of another archive (re-encoded), the new one names it (replacesId)
   * and its hash (replacesSha256); `replaced` gives the replaced archive's hash when
   * it may not have been signed.
   */
  async signCurrentArchive(
    c: Conversation,
    now: Date = new Date(),
    replaced?: { sha256: string },
  ): Promise<{ signature: StoredRecordingSignature; created: boolean }> {
    const latest = await this.opts.store.latest(c.id);
    if (
      latest &&
      latest.sha256 === c.sha256 &&
      latest.storageKey === c.storageKey
    )
      return { signature: latest, created: false };
    const replacesSha256 = replaced?.sha256.toLowerCase() ?? latest?.sha256;
    return {
      signature: await this.signArchive(
        c,
        latest || replacesSha256
          ? { id: latest?.id, sha256: replacesSha256 }
          : undefined,
        now,
      ),
      created: true,
    };
  }

  /** Signs the conversation's current archive as replacing `replaces` (if given). */
  async signArchive(
    c: Conversation,
    replaces: { id?: string; sha256?: string } | undefined,
    now: Date = new Date(),
  ): Promise<StoredRecordingSignature> {
    const payload = canonicalJson(recordingPayload(c, now, replaces?.sha256));
    const signature = this.opts.signer.sign(payload);
    return this.opts.store.insert({
      conversationId: c.id,
      storageKey: c.storageKey!,
      sha256: c.sha256!,
      bytes: c.bytes!,
      format: c.format!,
      payload,
      signature,
      keyId: this.opts.signer.keyId,
      replacesId: replaces?.id,
      signedAt: now,
    });
  }

  /** Whether a stored signature is valid with this installation's key. */
  verifySignature(s: { payload: string; signature: string }): boolean {
    return this.opts.signer.verify(s.payload, s.signature);
  }
}
