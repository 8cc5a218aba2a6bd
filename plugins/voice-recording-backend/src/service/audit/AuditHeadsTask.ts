/*
 * Signs the audit chain's daily heads (docs/audit-trail.md "Signed daily heads"):
 * for every past UTC day not signed yet, from the day of the first entry, the last
 * entry of the day (by time, then seq) with the installation's Ed25519 key. Run by
 * one instance at a time (scheduler, scope global); a day signed by another instance
 * meanwhile is kept as it was. With a verifier, the chain is walked first and a broken
 * one is never signed: the task audits the broken link (`audit-verify`, high severity),
 * tells the admins (notifier) and fails (the scheduler logs it) until the trail is
 * dealt with.
 */
import { AuditChainVerification } from '@mvr/plugin-voice-recording-common';
import { RecordingSigner } from '@mvr/plugin-voice-recording-node';
import {
  AUDIT_CHAIN_GENESIS,
  AUDIT_HEAD_FORMAT,
  AuditHeadPayload,
  auditHeadCanonical,
} from '../../database/auditChain';
import { AuditHead, AuditHeadsStore } from '../../database/AuditHeadsStore';
import { KnexAuditLogStore } from '../../database/AuditLogStore';
import { AuditRecorder } from '../AuditRecorder';
import { AuditChainVerifier, verificationDetails } from './AuditChainVerifier';

export const AUDIT_HEADS_ACTOR = 'plugin:voice-recording';

const DAY_MS = 86_400_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class AuditHeadsTask {
  constructor(
    private readonly options: {
      log: KnexAuditLogStore;
      heads: AuditHeadsStore;
      signer: RecordingSigner;
      audit?: AuditRecorder;
      verifier?: AuditChainVerifier;
      /** Told when the chain is found broken (the admins' alarm). */
      notifier?: {
        notifyBroken(result: AuditChainVerification): Promise<void>;
      };
    },
  ) {}

  /** Signs the heads of the past days not signed yet; returns them. */
  async signDue(now: Date = new Date()): Promise<AuditHead[]> {
    const { log, heads, signer } = this.options;
    const today = Date.parse(`${dayOf(now.getTime())}T00:00:00.000Z`);
    const last = await heads.lastDay();
    let start: number;
    if (last) start = Date.parse(`${last}T00:00:00.000Z`) + DAY_MS;
    else {
      const first = await log.firstAt();
      if (!first) return [];
      start = Date.parse(`${first.slice(0, 10)}T00:00:00.000Z`);
    }
    if (start >= today) return [];
    if (this.options.verifier) {
      const result = await this.options.verifier.verify(now);
      if (!result.ok) {
        await this.options.audit?.record({
          actor: { ref: AUDIT_HEADS_ACTOR },
          action: 'audit-verify',
          targetType: 'audit-trail',
          severity: 'high',
          details: verificationDetails(result),
        });
        await this.options.notifier?.notifyBroken(result);
        throw new Error(
          `the audit trail is broken at entry ${result.firstBroken?.seq} (${result.firstBroken?.reason}): ${result.firstBroken?.message}; its daily heads are not signed`,
        );
      }
    }
    const signedAt = now.toISOString();
    const out: AuditHead[] = [];
    for (let day = start; day < today; day += DAY_MS) {
      const head = await log.headBefore(new Date(day + DAY_MS));
      const payload: AuditHeadPayload = {
        format: AUDIT_HEAD_FORMAT,
        day: dayOf(day),
        seq: head?.seq ?? 0,
        hash: head?.hash ?? AUDIT_CHAIN_GENESIS,
        keyId: signer.keyId,
        signedAt,
      };
      const text = auditHeadCanonical(payload);
      out.push({
        day: payload.day,
        seq: payload.seq,
        hash: payload.hash,
        keyId: signer.keyId,
        payload: text,
        signature: signer.sign(text),
        signedAt,
      });
    }
    if (!out.length) return out;
    await heads.add(out);
    const lastHead = out[out.length - 1];
    await this.options.audit?.record({
      actor: { ref: AUDIT_HEADS_ACTOR },
      action: 'audit-head-sign',
      targetType: 'audit-head',
      targetId: lastHead.day,
      severity: 'low',
      details: {
        days: out.length,
        from: out[0].day,
        to: lastHead.day,
        seq: lastHead.seq,
        hash: lastHead.hash,
        keyId: signer.keyId,
      },
    });
    return out;
  }
}
