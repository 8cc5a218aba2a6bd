/*
 * Walks the audit hash chain and reports its first broken link (docs/audit-trail.md
 * "Verification"): in id order, in batches; each entry's hash recomputed from its
 * content, its link to the previous entry, gaps and order of `seq`, and every signed
 * daily head: its signature with the installation's key, and that the chain passes
 * through the entry it names (a history rewritten and re-chained after a signed head
 * is detected there).
 */
import {
  AuditChainVerification,
  canonicalJson,
} from '@mvr/plugin-voice-recording-common';
import { verifyEd25519 } from '@mvr/plugin-voice-recording-node';
import {
  AUDIT_CHAIN_GENESIS,
  AUDIT_HEAD_FORMAT,
  auditEntryHash,
} from '../../database/auditChain';
import { AuditHead, AuditHeadsStore } from '../../database/AuditHeadsStore';
import { KnexAuditLogStore } from '../../database/AuditLogStore';

type Broken = NonNullable<AuditChainVerification['firstBroken']>;

/** The `details` of an `audit-verify` entry: the result, without the heads' list. */
export function verificationDetails(result: AuditChainVerification) {
  return {
    ok: result.ok,
    checked: result.checked,
    ...(result.headHash ? { headHash: result.headHash } : {}),
    ...(result.firstBroken
      ? {
          brokenSeq: result.firstBroken.seq,
          brokenReason: result.firstBroken.reason,
          brokenMessage: result.firstBroken.message,
        }
      : {}),
    signedHeads: result.signedHeads ?? 0,
    ...(result.lastSignedDay ? { lastSignedDay: result.lastSignedDay } : {}),
  };
}

export interface AuditChainVerifierOptions {
  log: KnexAuditLogStore;
  heads: AuditHeadsStore;
  /** The installation's public key (heads are verified with it). */
  publicKey: { keyId: string; publicKeyPem: string };
  /**
   * Breaks accepted after an investigation (voiceRecording.auditTrail.acceptedBreaks):
   * the seq a verification named; the walk goes on past them and reports them in
   * `acceptedBreaks` instead of failing, so that the entries after a known incident
   * are protected (and their days signed) again.
   */
  acceptedBreaks?: ReadonlySet<number>;
  batchSize?: number;
}

/** Why a head's signature or payload does not hold, or undefined when it does. */
export function headProblem(
  head: AuditHead,
  publicKey: { keyId: string; publicKeyPem: string },
): string | undefined {
  const at = `the signed head of ${head.day}`;
  if (head.keyId !== publicKey.keyId)
    return `${at} is signed with key ${head.keyId}, not the installation's key ${publicKey.keyId}`;
  if (!verifyEd25519(publicKey.publicKeyPem, head.payload, head.signature))
    return `${at}: the signature does not verify with key ${publicKey.keyId}`;
  let p: any;
  try {
    p = JSON.parse(head.payload);
  } catch {
    return `${at}: the signed payload is not JSON`;
  }
  if (canonicalJson(p) !== head.payload)
    return `${at}: the signed payload is not canonical JSON`;
  if (
    p.format !== AUDIT_HEAD_FORMAT ||
    p.day !== head.day ||
    p.seq !== head.seq ||
    p.hash !== head.hash ||
    p.keyId !== head.keyId
  )
    return `${at}: the stored day, seq or hash differ from what was signed (signed: ${p.day} seq ${p.seq})`;
  return undefined;
}

export class AuditChainVerifier {
  private readonly batchSize: number;

  constructor(private readonly options: AuditChainVerifierOptions) {
    this.batchSize = options.batchSize ?? 2000;
  }

  /** The signed daily heads it checks (served by GET /audit/heads). */
  get headsStore(): AuditHeadsStore {
    return this.options.heads;
  }

  async verify(now: Date = new Date()): Promise<AuditChainVerification> {
    const { log, publicKey } = this.options;
    const heads = await this.options.heads.list();
    const headsBySeq = new Map<number, AuditHead[]>();
    for (const h of heads)
      headsBySeq.set(h.seq, [...(headsBySeq.get(h.seq) ?? []), h]);
    const lastHead = heads.reduce<AuditHead | undefined>(
      (a, h) => (!a || h.seq >= a.seq ? h : a),
      undefined,
    );
    let checked = 0;
    let expected = 1;
    let prev = AUDIT_CHAIN_GENESIS;
    let afterId = 0;
    const acceptedBreaks: Broken[] = [];
    /** Whether the break was accepted after an investigation (kept in the result). */
    const accepted = (b: Broken) => {
      if (!this.options.acceptedBreaks?.has(b.seq)) return false;
      acceptedBreaks.push(b);
      return true;
    };
    const result = (firstBroken?: Broken): AuditChainVerification => ({
      ok: !firstBroken,
      checked,
      ...(checked ? { headHash: prev } : {}),
      ...(firstBroken ? { firstBroken } : {}),
      ...(acceptedBreaks.length ? { acceptedBreaks } : {}),
      signedHeads: heads.length,
      ...(heads.length ? { lastSignedDay: heads[heads.length - 1].day } : {}),
      unsignedEntries: Math.max(0, checked - (lastHead?.seq ?? 0)),
      verifiedAt: now.toISOString(),
    });
    // heads of an empty trail (seq 0) name no entry: only their signature counts
    for (const h of headsBySeq.get(0) ?? []) {
      const problem = headProblem(h, publicKey);
      const b: Broken | undefined = problem
        ? { seq: 0, reason: 'bad-head-signature', message: problem }
        : undefined;
      if (b && !accepted(b)) return result(b);
    }

    // the problems of one row, in the order of the checks
    const problemsOf = async (
      row: Awaited<ReturnType<typeof log.chainBatch>>[number],
    ): Promise<Broken[]> => {
      const out: Broken[] = [];
      const seq = row.seq!;
      if (auditEntryHash(row, seq, row.prev_hash!) !== row.hash)
        out.push({
          seq,
          reason: 'edited',
          message: `entry ${seq} (id ${row.id}) was changed: its content no longer matches its hash`,
        });
      if (seq !== expected) {
        if (seq < expected || (await log.hasSeq(expected)))
          out.push({
            seq,
            reason: 'reordered',
            message: `entry ${seq} (id ${row.id}) stands where entry ${expected} belongs: entries were moved`,
          });
        else
          out.push({
            seq,
            reason: 'deleted-before',
            message:
              seq - expected === 1
                ? `entry ${expected} is missing (deleted) before entry ${seq}`
                : `entries ${expected} to ${
                    seq - 1
                  } are missing (deleted) before entry ${seq}`,
          });
      } else if (row.prev_hash !== prev)
        out.push({
          seq: seq - 1,
          reason: 'edited',
          message: `entry ${
            seq - 1
          } was changed: entry ${seq} links to a different hash`,
        });
      for (const h of headsBySeq.get(seq) ?? []) {
        const problem = headProblem(h, publicKey);
        if (problem)
          out.push({ seq, reason: 'bad-head-signature', message: problem });
        else if (h.hash !== row.hash)
          out.push({
            seq,
            reason: 'edited',
            message: `entry ${seq} differs from the head signed for ${h.day}: the trail up to it was rewritten after it was signed`,
          });
      }
      return out;
    };

    for (;;) {
      const rows = await log.chainBatch(afterId, this.batchSize);
      if (!rows.length) break;
      for (const row of rows) {
        afterId = row.id;
        if (row.seq === null || !row.hash || !row.prev_hash) {
          const b: Broken = {
            seq: expected,
            reason: 'edited',
            message: `entry id ${row.id} is not part of the chain (no seq or hash): written around the audit store`,
          };
          if (!accepted(b)) return result(b);
          continue;
        }
        for (const b of await problemsOf(row))
          if (!accepted(b)) return result(b);
        // intact, or its breaks accepted: the walk goes on from this entry
        prev = row.hash;
        expected = row.seq + 1;
        checked += 1;
      }
    }
    // signed heads beyond the end: entries removed from the end of the trail
    const beyond = heads.find(h => h.seq >= expected);
    if (beyond) {
      const problem = headProblem(beyond, publicKey);
      const b: Broken = problem
        ? { seq: beyond.seq, reason: 'bad-head-signature', message: problem }
        : {
            seq: expected,
            reason: 'truncated',
            message: `the head signed for ${beyond.day} names entry ${
              beyond.seq
            }, but the trail ends at entry ${
              expected - 1
            }: entries were removed from its end`,
          };
      if (!accepted(b)) return result(b);
    }
    return result();
  }
}
