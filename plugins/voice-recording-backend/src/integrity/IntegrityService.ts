/*
 * Integrity of the archive (docs/integrity.md): verifying one conversation's stored
 * archive against its registered hash and its signature, and the integrity sweep that
 * re-hashes a share of the archive per run, oldest-verified first.
 */
import { createHash } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Conversation,
  ConversationSignatures,
  INTEGRITY_ALARM_OUTCOMES,
  IntegrityCheck,
  IntegrityOutcome,
  IntegrityStatus,
  IntegritySweep,
  RecordingVerification,
  SignedRecordingPayload,
} from '@mvr/plugin-voice-recording-common';
import { BlobStore } from '@mvr/plugin-voice-recording-node';
import { IntegrityStore } from '../database/IntegrityStore';
import { publicSignature } from '../database/RecordingSignaturesStore';
import { Actor, AuditRecord } from '../service/AuditRecorder';
import { IntegrityNotifier } from '../notifiers/IntegrityNotifier';
import { IntegritySweepConfig } from './integrityConfig';
import { RecordingSigning } from './RecordingSigning';

export interface IntegrityServiceOptions {
  /** Reads a conversation (any visibility: the caller has checked it). */
  conversations: { get(id: string): Promise<Conversation | undefined> };
  blobs: Pick<BlobStore, 'get' | 'stat'>;
  signing: RecordingSigning;
  store: IntegrityStore;
  audit: { record(r: AuditRecord): Promise<void> };
  notifier?: Pick<IntegrityNotifier, 'notify'>;
  logger: LoggerService;
  sweep: IntegritySweepConfig;
}

const SYSTEM = { ref: 'plugin:voice-recording' };

async function hashBlob(
  blobs: Pick<BlobStore, 'get'>,
  key: string,
): Promise<{ sha256: string; bytes: number }> {
  const stream = await blobs.get(key);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function parsePayload(text: string): SignedRecordingPayload | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class IntegrityService {
  constructor(private readonly o: IntegrityServiceOptions) {}

  get keyId(): string {
    return this.o.signing.keyId;
  }

  get publicKeyPem(): string {
    return this.o.signing.publicKeyPem;
  }

  /**
   * Re-hashes the stored archive (through the blob store: plaintext even when
   * encrypted at rest) and checks it against the registered hash and its newest
   * signature. `sign`: an unsigned archive whose hash is the registered one is signed
   * now (the sweep does; a verification on request does not change anything).
   */
  async check(
    c: Conversation,
    options: { sign?: boolean; now?: Date } = {},
  ): Promise<RecordingVerification> {
    const now = options.now ?? new Date();
    const keyId = this.o.signing.keyId;
    const base = {
      conversationId: c.id,
      keyId,
      checkedAt: now.toISOString(),
      ...(c.sha256 ? { expectedSha256: c.sha256 } : {}),
    };
    const result = (
      outcome: IntegrityOutcome,
      problems: string[],
      extra: Partial<RecordingVerification> = {},
    ): RecordingVerification => ({
      ...base,
      ok: outcome === 'ok' || outcome === 'signed',
      outcome,
      problems,
      ...extra,
    });
    if (!c.storageKey || !c.sha256)
      return result('missing', [
        'the conversation has no archive (no audio was stored)',
      ]);
    const stat = await this.o.blobs.stat(c.storageKey).catch(() => undefined);
    if (!stat)
      return result('missing', [
        `the archive's file is missing from the storage (${c.storageKey})`,
      ]);
    let found: { sha256: string; bytes: number };
    try {
      found = await hashBlob(this.o.blobs, c.storageKey);
    } catch (e) {
      // e.g. an encrypted segment whose authentication fails: altered on disk
      return result('mismatch', [
        `the archive's file cannot be read back (altered or corrupt): ${
          (e as Error).message
        }`,
      ]);
    }
    const extra = { sha256: found.sha256, bytes: found.bytes };
    const expected = c.sha256.toLowerCase();
    const latest = await this.o.signing.store.latest(c.id);
    const problems: string[] = [];
    if (found.sha256 !== expected)
      problems.push(
        `the stored archive's SHA-256 ${found.sha256} is not the registered ${expected} (altered)`,
      );
    if (latest && latest.sha256 === expected) {
      const signatureId = latest.id;
      const payload = parsePayload(latest.payload);
      if (latest.keyId !== keyId)
        problems.push(
          `signed with key ${latest.keyId}, the installation's key is ${keyId}`,
        );
      else if (!this.o.signing.verifySignature(latest))
        problems.push(`the signature does not verify with key ${keyId}`);
      else if (!payload || payload.conversationId !== c.id)
        problems.push('the signature is not of this conversation');
      else if (payload.sha256 !== found.sha256 && found.sha256 === expected)
        problems.push(
          `the signature covers SHA-256 ${payload.sha256}, the archive's is ${found.sha256}`,
        );
      if (problems.length === 0)
        return result('ok', [], { ...extra, signatureId });
      const outcome = found.sha256 !== expected ? 'mismatch' : 'bad-signature';
      return result(outcome, problems, { ...extra, signatureId });
    }
    // no signature of the current archive
    if (problems.length) return result('mismatch', problems, extra);
    // a signed file whose registered hash changed (re-encoding writes a new file):
    // the metadata was altered; never signed again
    if (latest && latest.storageKey === c.storageKey)
      return result(
        'bad-signature',
        [
          `the registered SHA-256 ${expected} is not the signed ${latest.sha256} of the same file (the registered hash was altered)`,
        ],
        { ...extra, signatureId: latest.id },
      );
    if (options.sign) {
      const { signature } = await this.o.signing.signCurrentArchive(c, now);
      return result('signed', [], { ...extra, signatureId: signature.id });
    }
    return result(
      'unsigned',
      ['the archive is not signed yet (the integrity sweep signs it)'],
      extra,
    );
  }

  /** Records the outcome; raises the alarm (audit) for the alarming outcomes. */
  private async record(
    c: Conversation,
    v: RecordingVerification,
    sweepId?: string,
    signedBecause = 'unsigned archive found by the integrity sweep',
  ): Promise<IntegrityCheck | undefined> {
    if (!c.storageKey) return undefined;
    const message = v.problems.join('; ') || undefined;
    await this.o.store.recordCheck({
      conversationId: c.id,
      checkedAt: new Date(v.checkedAt),
      outcome: v.outcome,
      message,
      sha256: v.sha256,
      sweepId,
    });
    if (v.outcome === 'signed')
      await this.o.audit.record({
        actor: SYSTEM,
        action: 'recording-signed',
        targetType: 'conversation',
        targetId: c.id,
        severity: 'medium',
        details: {
          number: c.number,
          sha256: c.sha256 ?? '',
          keyId: v.keyId,
          ...(v.signatureId ? { signatureId: v.signatureId } : {}),
          reason: signedBecause,
        },
      });
    if (!INTEGRITY_ALARM_OUTCOMES.includes(v.outcome)) return undefined;
    this.o.logger.error(
      `voice-recording integrity: conversation ${c.id} ${v.outcome}: ${message}`,
    );
    await this.o.audit.record({
      actor: SYSTEM,
      action: 'integrity-mismatch',
      targetType: 'conversation',
      targetId: c.id,
      severity: 'critical',
      details: {
        // `outcome` is the audit's own (succeeded/failed)
        result: v.outcome,
        number: c.number,
        userRef: c.userRef,
        startedAt: c.startedAt,
        storageKey: c.storageKey,
        expectedSha256: c.sha256 ?? '',
        ...(v.sha256 ? { foundSha256: v.sha256 } : {}),
        problems: v.problems,
        ...(sweepId ? { sweepId } : {}),
      },
    });
    return {
      conversationId: c.id,
      checkedAt: v.checkedAt,
      outcome: v.outcome,
      ...(message ? { message } : {}),
      ...(sweepId ? { sweepId } : {}),
      number: c.number,
      userRef: c.userRef,
      startedAt: c.startedAt,
    };
  }

  /**
   * `POST /conversations/:id/verify`: verifies a conversation the caller may see
   * (audited `conversation-verify`); a failure raises the integrity alarm.
   */
  async verifyOnRequest(
    actor: Actor,
    c: Conversation,
  ): Promise<RecordingVerification> {
    const v = await this.check(c);
    await this.o.audit.record({
      actor,
      action: 'conversation-verify',
      targetType: 'conversation',
      targetId: c.id,
      severity: v.ok ? 'low' : 'high',
      details: {
        // `outcome` is the audit's own (succeeded/failed)
        result: v.outcome,
        number: c.number,
        userRef: c.userRef,
        ...(c.direction ? { direction: c.direction } : {}),
        ...(c.otherParty ? { otherParty: c.otherParty } : {}),
        ...(c.durationMs !== undefined ? { durationMs: c.durationMs } : {}),
        ...(v.sha256 ? { sha256: v.sha256 } : {}),
        keyId: v.keyId,
      },
    });
    const finding = await this.record(c, v);
    if (finding)
      await this.o.notifier?.notify([finding], { requestedBy: actor.ref });
    return v;
  }

  /**
   * One sweep: re-hashes ceil(share × archive) archives, oldest-verified first, signs
   * unsigned ones, records each outcome and raises one alarm for all it found.
   */
  async sweep(now: Date = new Date()): Promise<IntegritySweep> {
    const started = now;
    const id = await this.o.store.startSweep(started);
    const figures = {
      checked: 0,
      ok: 0,
      mismatches: 0,
      missing: 0,
      signed: 0,
      bytes: 0,
    };
    const findings: IntegrityCheck[] = [];
    let error: string | undefined;
    try {
      const total = await this.o.store.countArchived();
      const n =
        total === 0 ? 0 : Math.max(1, Math.ceil(total * this.o.sweep.share));
      for (const a of await this.o.store.oldestVerified(n)) {
        const c = await this.o.conversations.get(a.id);
        // disposed of meanwhile
        if (!c || !c.storageKey) continue;
        let v: RecordingVerification;
        try {
          v = await this.check(c, { sign: true });
        } catch (e) {
          // a database or signing failure: the next run tries again
          this.o.logger.warn(
            `voice-recording integrity sweep: conversation ${c.id} not verified: ${e}`,
          );
          continue;
        }
        // the file went because the conversation was disposed of meanwhile
        if (v.outcome === 'missing' && !(await this.o.conversations.get(c.id)))
          continue;
        figures.checked++;
        figures.bytes += v.bytes ?? 0;
        if (v.outcome === 'ok') figures.ok++;
        else if (v.outcome === 'signed') figures.signed++;
        else if (v.outcome === 'missing') figures.missing++;
        else if (v.outcome === 'mismatch' || v.outcome === 'bad-signature')
          figures.mismatches++;
        const finding = await this.record(c, v, id);
        if (finding) findings.push(finding);
      }
    } catch (e) {
      error = String((e as Error)?.message ?? e);
      this.o.logger.error(
        `voice-recording integrity sweep ${id} failed: ${error}`,
      );
    }
    const finished = new Date(Math.max(Date.now(), started.getTime()));
    await this.o.store.finishSweep(id, finished, figures, error);
    await this.o.audit.record({
      actor: SYSTEM,
      action: 'integrity-sweep',
      targetType: 'integrity-sweep',
      targetId: id,
      severity: findings.length || error ? 'high' : 'low',
      details: {
        ...figures,
        share: this.o.sweep.share,
        ...(error ? { error } : {}),
      },
      ...(error ? { error: new Error(error) } : {}),
    });
    if (findings.length)
      await this.o.notifier?.notify(findings, { sweepId: id });
    return {
      id,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      state: error ? 'failed' : 'done',
      ...figures,
      ...(error ? { error } : {}),
    };
  }

  /**
   * Verifies and signs the archived conversations that have no signature of their
   * current archive (the demo's calls at start-up; idempotent). Returns how many
   * were signed.
   */
  async signUnsigned(limit = 1000): Promise<number> {
    let signed = 0;
    for (const id of await this.o.store.unsigned(limit)) {
      const c = await this.o.conversations.get(id);
      if (!c) continue;
      const v = await this.check(c, { sign: true });
      await this.record(c, v, undefined, 'unsigned archive signed at start-up');
      if (v.outcome === 'signed') signed++;
    }
    return signed;
  }

  /** `GET /integrity`. */
  async status(): Promise<IntegrityStatus> {
    const [figures, lastSweep, problems] = await Promise.all([
      this.o.store.figures(),
      this.o.store.lastSweep(),
      this.o.store.problems(100),
    ]);
    return {
      keyId: this.o.signing.keyId,
      algorithm: 'Ed25519',
      publicKeyPem: this.o.signing.publicKeyPem,
      sweep: {
        share: this.o.sweep.share,
        frequency: this.o.sweep.frequencyText,
        enabled: this.o.sweep.enabled,
      },
      ...(lastSweep ? { lastSweep } : {}),
      ...figures,
      problems,
    };
  }

  /** `GET /conversations/:id/signatures` (the caller has checked the visibility). */
  async signaturesOf(c: Conversation): Promise<ConversationSignatures> {
    const [stored, lastCheck] = await Promise.all([
      this.o.signing.store.listStored(c.id),
      this.o.store.lastCheck(c.id),
    ]);
    return {
      conversationId: c.id,
      keyId: this.o.signing.keyId,
      signatures: stored.map(publicSignature),
      ...(lastCheck ? { lastCheck } : {}),
    };
  }
}
