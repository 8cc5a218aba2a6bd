/*
 * What the audit trail's hash chain hashes and its daily heads sign
 * (docs/audit-trail.md). The migration 20261206130000_audit_chain.js holds a frozen
 * copy of entryHash for the rows that existed before it: change neither alone.
 */
import { createHash } from 'node:crypto';
import { JsonValue } from '@backstage/types';
import { canonicalJson } from '@mvr/plugin-voice-recording-common';
import { toIso } from './util';

/** `prev_hash` of the first entry. */
export const AUDIT_CHAIN_GENESIS = '0'.repeat(64);

/** Version tag of the hashed entry (`v`). */
export const AUDIT_ENTRY_HASH_VERSION = 1;

/** An audit row as stored (the columns the hash covers). */
export interface AuditChainRow {
  at: unknown;
  actor_ref: string;
  action: string;
  target_type?: string | null;
  target_id?: string | null;
  details?: unknown;
}

/** The stored `details` column read back as JSON (text on SQLite and PostgreSQL). */
export function parseAuditDetails(text: unknown): JsonValue | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  if (typeof text === 'object') return text as JsonValue;
  try {
    return JSON.parse(String(text));
  } catch {
    return String(text);
  }
}

/** The canonical JSON an entry's hash is taken over. */
export function auditEntryCanonical(
  row: AuditChainRow,
  seq: number,
  prevHash: string,
): string {
  return canonicalJson({
    v: AUDIT_ENTRY_HASH_VERSION,
    seq,
    prevHash,
    at: toIso(row.at),
    actorRef: row.actor_ref,
    action: row.action,
    targetType: row.target_type ?? undefined,
    targetId: row.target_id ?? undefined,
    details: parseAuditDetails(row.details),
  });
}

/** hex SHA-256 of {@link auditEntryCanonical}. */
export function auditEntryHash(
  row: AuditChainRow,
  seq: number,
  prevHash: string,
): string {
  return createHash('sha256')
    .update(auditEntryCanonical(row, seq, prevHash), 'utf8')
    .digest('hex');
}

/** `format` of a signed head payload. */
export const AUDIT_HEAD_FORMAT = 'mvr-audit-head/1';

/** What a daily head's signature covers (signed as its canonical JSON). */
export interface AuditHeadPayload {
  format: typeof AUDIT_HEAD_FORMAT;
  /** YYYY-MM-DD, UTC. */
  day: string;
  /** seq of the last entry appended before the end of the day (0: none yet). */
  seq: number;
  /** Its hash (the genesis value when seq is 0). */
  hash: string;
  keyId: string;
  signedAt: string;
}

export function auditHeadCanonical(p: AuditHeadPayload): string {
  return canonicalJson(p);
}
