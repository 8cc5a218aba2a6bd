import { Knex } from 'knex';
import { chunk, toIso } from './util';

/** A signed daily head of the audit hash chain (docs/audit-trail.md). */
export interface AuditHead {
  /** YYYY-MM-DD (UTC). */
  day: string;
  seq: number;
  hash: string;
  keyId: string;
  /** The signed bytes: canonical JSON of an AuditHeadPayload. */
  payload: string;
  /** Base64 Ed25519 signature over `payload`. */
  signature: string;
  signedAt: string;
}

const T = 'vr_audit_heads';

/** vr_audit_heads: written once per day, never changed (triggers refuse it). */
export class AuditHeadsStore {
  constructor(private readonly db: Knex) {}

  /** Every head, oldest day first. */
  async list(): Promise<AuditHead[]> {
    const rows = await this.db(T).orderBy('day').select('*');
    return rows.map((r: any) => ({
      day: r.day,
      seq: Number(r.seq),
      hash: r.hash,
      keyId: r.key_id,
      payload: r.payload,
      signature: r.signature,
      signedAt: toIso(r.signed_at),
    }));
  }

  async lastDay(): Promise<string | undefined> {
    const row = await this.db(T).orderBy('day', 'desc').first('day');
    return row?.day;
  }

  /** Adds the heads; a day signed already (by another instance) is kept as it was. */
  async add(heads: AuditHead[]): Promise<void> {
    for (const part of chunk(heads, 100))
      await this.db(T)
        .insert(
          part.map(h => ({
            day: h.day,
            seq: h.seq,
            hash: h.hash,
            key_id: h.keyId,
            payload: h.payload,
            signature: h.signature,
            signed_at: new Date(h.signedAt),
          })),
        )
        .onConflict('day')
        .ignore();
  }
}
