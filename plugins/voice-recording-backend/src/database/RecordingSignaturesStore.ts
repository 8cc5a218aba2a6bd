import { randomUUID } from 'node:crypto';
import { RecordingSignature } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { chunk, SQL_VARIABLE_LIMIT, toIso } from './util';

const SIGNATURES = 'vr_recording_signatures';

/** A signature with the archive it was made for (internal: the storage key stays in). */
export interface StoredRecordingSignature extends RecordingSignature {
  storageKey: string;
  sha256: string;
  bytes: number;
  format: string;
}

/** A signature to store (the payload is already canonical JSON and signed). */
export interface NewRecordingSignature {
  conversationId: string;
  storageKey: string;
  sha256: string;
  bytes: number;
  format: string;
  payload: string;
  signature: string;
  keyId: string;
  replacesId?: string;
  signedAt: Date;
}

function fromRow(r: any): StoredRecordingSignature {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    keyId: r.key_id,
    payload: r.payload,
    signature: r.signature,
    ...(r.replaces_id ? { replacesId: r.replaces_id } : {}),
    signedAt: toIso(r.signed_at),
    storageKey: r.storage_key,
    sha256: r.sha256,
    bytes: Number(r.bytes),
    format: r.format,
  };
}

/** The public form (what the API serves and exports carry). */
export function publicSignature(
  s: StoredRecordingSignature,
): RecordingSignature {
  return {
    id: s.id,
    conversationId: s.conversationId,
    keyId: s.keyId,
    payload: s.payload,
    signature: s.signature,
    ...(s.replacesId ? { replacesId: s.replacesId } : {}),
    signedAt: s.signedAt,
  };
}

/**
 * Newest first: by signing time, and at equal times the signature that replaced
 * another before the one it replaced.
 */
function newestFirst(
  a: StoredRecordingSignature,
  b: StoredRecordingSignature,
): number {
  const t = Date.parse(b.signedAt) - Date.parse(a.signedAt);
  if (t !== 0) return t;
  if (a.replacesId === b.id) return -1;
  if (b.replacesId === a.id) return 1;
  return a.id.localeCompare(b.id);
}

/** Signatures of archived recordings (vr_recording_signatures; rows never updated). */
export class RecordingSignaturesStore {
  constructor(private readonly db: Knex) {}

  async insert(
    input: NewRecordingSignature,
  ): Promise<StoredRecordingSignature> {
    const id = randomUUID();
    await this.db(SIGNATURES).insert({
      id,
      conversation_id: input.conversationId,
      storage_key: input.storageKey,
      sha256: input.sha256,
      bytes: input.bytes,
      format: input.format,
      payload: input.payload,
      signature: input.signature,
      key_id: input.keyId,
      replaces_id: input.replacesId ?? null,
      signed_at: input.signedAt,
    });
    return {
      id,
      conversationId: input.conversationId,
      keyId: input.keyId,
      payload: input.payload,
      signature: input.signature,
      ...(input.replacesId ? { replacesId: input.replacesId } : {}),
      signedAt: input.signedAt.toISOString(),
      storageKey: input.storageKey,
      sha256: input.sha256,
      bytes: input.bytes,
      format: input.format,
    };
  }

  /** Every signature of one conversation, newest first (with the archive's details). */
  async listStored(
    conversationId: string,
  ): Promise<StoredRecordingSignature[]> {
    const rows = await this.db(SIGNATURES).where({
      conversation_id: conversationId,
    });
    return rows.map(fromRow).sort(newestFirst);
  }

  /** The newest signature of a conversation, if any. */
  async latest(
    conversationId: string,
  ): Promise<StoredRecordingSignature | undefined> {
    return (await this.listStored(conversationId))[0];
  }

  /** The newest signature of each conversation that has one. */
  async latestOf(
    conversationIds: string[],
  ): Promise<Map<string, StoredRecordingSignature>> {
    const out = new Map<string, StoredRecordingSignature>();
    for (const [id, list] of await this.listStoredFor(conversationIds))
      out.set(id, list[0]);
    return out;
  }

  private async listStoredFor(
    conversationIds: string[],
  ): Promise<Map<string, StoredRecordingSignature[]>> {
    const out = new Map<string, StoredRecordingSignature[]>();
    for (const ids of chunk(
      [...new Set(conversationIds)],
      SQL_VARIABLE_LIMIT,
    )) {
      const rows = await this.db(SIGNATURES).whereIn('conversation_id', ids);
      for (const r of rows) {
        const s = fromRow(r);
        const list = out.get(s.conversationId);
        if (list) list.push(s);
        else out.set(s.conversationId, [s]);
      }
    }
    for (const list of out.values()) list.sort(newestFirst);
    return out;
  }

  /**
   * Signatures of many conversations (exports): conversation id -> its signatures,
   * newest first (the current archive's, then the ones it superseded). Conversations
   * without a signature are absent from the map.
   */
  async listForConversations(
    conversationIds: string[],
  ): Promise<Map<string, RecordingSignature[]>> {
    const out = new Map<string, RecordingSignature[]>();
    for (const [id, list] of await this.listStoredFor(conversationIds))
      out.set(id, list.map(publicSignature));
    return out;
  }
}
