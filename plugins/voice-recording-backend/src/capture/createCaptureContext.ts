import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Conversation,
  ConversationParticipant,
  decideRecording,
  isEmergencyNumber,
  normalizePhoneNumber,
  RefusedSession,
} from '@mvr/plugin-voice-recording-common';
import {
  ArchiveJobQueue,
  BlobStore,
  CompressionOpusSettings,
  compressJobFor,
  CaptureContext,
  CaptureParticipantInput,
  CaptureRecordedNumber,
  CaptureSettings,
  LookupAndDecideRequest,
  LookupAndDecideResult,
  UnknownNumberDecision,
} from '@mvr/plugin-voice-recording-node';
import {
  ConversationsStore,
  toCaptureStoreError,
} from '../database/ConversationsStore';
import { NumberRecord, NumbersStore } from '../database/NumbersStore';
import { AuditRecorder } from '../service/AuditRecorder';
import { RecordingSigning } from '../integrity/RecordingSigning';

export interface CaptureContextOptions {
  /** The capture source's id, stored on its conversations and used as audit actor. */
  sourceId: string;
  numbers: Pick<NumbersStore, 'getByNumbers'>;
  conversations: ConversationsStore;
  audit: Pick<AuditRecorder, 'record'>;
  /** The plugin's logger; a child logger is given to the source. */
  logger: LoggerService;
  config: CaptureSettings;
  /** The plugin's recording storage, handed to the source. */
  storage?: BlobStore;
  /** Changes of recorded numbers (the plugin's events), handed to the source. */
  onNumbersChanged?: CaptureContext['onNumbersChanged'];
  /**
   * Signs each finalized archive (and each re-encoded one, chained to what it
   * replaced): docs/integrity.md. A signing failure never fails the recording: it is
   * logged and audited (`recording-sign-failed`), and the integrity sweep signs it.
   */
  signing?: Pick<RecordingSigning, 'signCurrentArchive' | 'keyId'>;
  /**
   * Sets an archived conversation's retention end (docs/retention.md): one UPDATE by
   * key with cached policies; never throws (the disposal job sets what is missing).
   */
  retention?: { assign(conversationId: string): Promise<void> };
  /** The archive work queue (uploads, compression), handed to the source. */
  archiveJobs?: ArchiveJobQueue;
  /** Opus settings of the compress jobs enqueued once an interim WAV is uploaded. */
  compressOpus?: CompressionOpusSettings;
}

/** The audit actor of a capture source, e.g. `capture:siprec`. */
export function captureActorRef(sourceId: string): string {
  return `capture:${sourceId}`;
}

/** `sip:Extension-12@host;user=phone` -> `Extension-12`; `tel:+32...;ext=1` -> `+32...`. */
function userPart(aor: string): string {
  const s = (/<([^>]*)>/.exec(aor)?.[1] ?? aor)
    .trim()
    .replace(/^(tel|sips?):/i, '')
    .replace(/[@;].*$/, '')
    .trim();
  return s || aor.trim();
}

/** A participant with its E.164 number when its address is a phone number. */
export function normalizeParticipant(
  input: CaptureParticipantInput,
  defaultCountry: string,
): ConversationParticipant {
  const p: ConversationParticipant =
    typeof input === 'string' ? { aor: input } : { ...input };
  if (!p.number) {
    // `"Bob" <sip:+32...@host>` -> `sip:+32...@host`
    const inner = /<([^>]*)>/.exec(p.aor)?.[1] ?? p.aor;
    const n = normalizePhoneNumber(inner, defaultCountry);
    if (n.ok) p.number = n.e164;
  }
  return p;
}

/** How the other party is named: E.164 when it is a phone number, else the address's user part. */
function partyName(p: ConversationParticipant): string {
  return p.number ?? userPart(p.aor);
}

interface Candidate {
  number: NumberRecord;
  /** Index among the participants; -1 when only the hint names it. */
  index: number;
}

/**
 * The CaptureContext given to one capture source: the recording policy on top of the
 * numbers store, and the conversation records, with every refusal and every conversation
 * start and end audited (actor `capture:<sourceId>`).
 */
export function createCaptureContext(
  options: CaptureContextOptions,
): CaptureContext {
  const { sourceId, numbers, conversations: store, audit, config } = options;
  const logger = options.logger.child({ captureSource: sourceId });
  const actor = { ref: captureActorRef(sourceId) };
  const country = config.defaultCountry;
  const normalizeAll = (list: CaptureParticipantInput[]) =>
    list.map(p => normalizeParticipant(p, country));
  /**
   * conversation-start audits still being written, by conversation id. `begin` resolves
   * as soon as the conversation row is committed (the recorder then answers the call);
   * the audit follows off the call-setup path, and `finish` waits for it so that a
   * conversation's start is always audited before its end.
   */
  const startAudits = new Map<string, Promise<void>>();

  /**
   * Signs the conversation's current archive; never throws (the recording is kept
   * whatever happens): a failure is logged and audited, the integrity sweep signs it.
   */
  async function signArchive(
    conversation: Conversation,
    replaced?: { sha256: string },
  ): Promise<{ id: string; keyId: string } | undefined> {
    const signing = options.signing;
    if (!signing || !conversation.storageKey || !conversation.sha256)
      return undefined;
    try {
      const { signature } = await signing.signCurrentArchive(
        conversation,
        new Date(),
        replaced,
      );
      return { id: signature.id, keyId: signature.keyId };
    } catch (e) {
      logger.error(
        `conversation ${conversation.id}: the archive ${conversation.storageKey} was not signed (the integrity sweep will sign it): ${e}`,
      );
      await audit
        .record({
          actor,
          action: 'recording-sign-failed',
          targetType: 'conversation',
          targetId: conversation.id,
          severity: 'high',
          details: {
            number: conversation.number,
            sha256: conversation.sha256,
            storageKey: conversation.storageKey,
            keyId: signing.keyId,
            error: String((e as Error)?.message ?? e).slice(0, 500),
          },
        })
        .catch(err =>
          logger.error(
            `recording-sign-failed audit of ${conversation.id} failed: ${err}`,
          ),
        );
      return undefined;
    }
  }

  /** the recorded numbers among `e164s`, by number (one database round trip for all) */
  async function findNumbers(
    e164s: string[],
  ): Promise<Map<string, NumberRecord>> {
    try {
      const found = await numbers.getByNumbers(e164s);
      return new Map(found.map(n => [n.number, n]));
    } catch (e) {
      throw toCaptureStoreError('policy.lookupAndDecide', e);
    }
  }

  function decideFor(
    candidate: Candidate,
    participants: ConversationParticipant[],
    request: LookupAndDecideRequest,
  ): LookupAndDecideResult {
    const recorded = candidate.number;
    const marked = participants.map(p =>
      p.number === recorded.number ? { ...p, recorded: true } : p,
    );
    const others = marked.filter(p => p.number !== recorded.number);
    // with several other parties (conference), an emergency one decides
    const emergency = others.find(p =>
      isEmergencyNumber(partyName(p), config.emergencyNumbers),
    );
    const other = emergency ?? others[0];
    const otherParty = other ? partyName(other) : undefined;
    let direction = request.hints?.direction;
    if (!direction && candidate.index >= 0 && participants.length > 1) {
      // metadata order: the first participant is the caller
      direction = candidate.index === 0 ? 'outgoing' : 'incoming';
    }
    const decision = decideRecording({
      number: recorded,
      at: request.at,
      otherParty,
      emergencyNumbers: config.emergencyNumbers,
    });
    const recordedNumber: CaptureRecordedNumber = {
      id: recorded.id,
      number: recorded.number,
      userRef: recorded.userRef,
      mvrActive: recorded.mvrActive,
      settings: recorded.settings,
    };
    return {
      recordedNumber,
      ...(direction ? { direction } : {}),
      ...(otherParty !== undefined ? { otherParty } : {}),
      participants: marked,
      decision,
    };
  }

  async function lookupAndDecide(
    request: LookupAndDecideRequest,
  ): Promise<LookupAndDecideResult> {
    const participants = normalizeAll(request.participants);

    const hint = request.hints?.recordedParty;
    const hinted = hint ? normalizeParticipant(hint, country).number : undefined;
    // the hint and every participant's number, looked up together
    const known = await findNumbers(
      [hinted, ...participants.map(p => p.number)].filter(
        (n): n is string => !!n,
      ),
    );
    if (hint) {
      const found = hinted ? known.get(hinted) : undefined;
      if (found) {
        return decideFor(
          {
            number: found,
            index: participants.findIndex(p => p.number === hinted),
          },
          participants,
          request,
        );
      }
      logger.warn(
        `recorded party hint "${hint}" is not a recorded number; looking among the participants`,
      );
    }

    // every participant that is a recorded number, in metadata order
    const candidates: Candidate[] = [];
    const seen = new Set<string>();
    for (const [index, p] of participants.entries()) {
      if (!p.number || seen.has(p.number)) continue;
      seen.add(p.number);
      const found = known.get(p.number);
      if (found) candidates.push({ number: found, index });
    }
    if (!candidates.length) {
      const decision: UnknownNumberDecision = {
        record: false,
        reason: 'unknown-number',
        beep: false,
        message: `none of the participants (${
          request.participants.join(', ') || 'none'
        }) is a recorded number`,
      };
      return { participants, decision };
    }
    const results = candidates.map(c => decideFor(c, participants, request));
    if (results.length > 1) {
      logger.info(
        `several recorded numbers in one session (${candidates
          .map(c => c.number.number)
          .join(
            ', ',
          )}) and no recorded-party hint: taking the first that records`,
      );
    }
    // without a hint, a recorded number whose call must be recorded wins
    return results.find(r => r.decision.record) ?? results[0];
  }

  function auditRefused(refused: RefusedSession): Promise<void> {
    return audit.record({
      actor,
      action: 'recording-refused',
      targetType: 'refused-session',
      targetId: refused.id,
      severity: refused.reason === 'unknown-number' ? 'low' : 'medium',
      details: {
        reason: refused.reason,
        ...(refused.number ? { number: refused.number } : {}),
        ...(refused.message ? { message: refused.message } : {}),
        sipCallId: refused.sipCallId,
        responseCode: refused.responseCode,
        participants: refused.participants.map(p => p.number ?? p.aor),
      },
    });
  }

  return {
    logger,
    ...(options.storage ? { storage: options.storage } : {}),
    ...(options.archiveJobs ? { archiveJobs: options.archiveJobs } : {}),
    ...(options.onNumbersChanged
      ? { onNumbersChanged: options.onNumbersChanged }
      : {}),
    // only what a recorder needs: never the plugin's whole config (it holds secrets)
    config: {
      defaultCountry: config.defaultCountry,
      emergencyNumbers: [...config.emergencyNumbers],
    },
    policy: { lookupAndDecide },
    conversations: {
      async begin(input) {
        const { conversation, created } = await store.begin({
          ...input,
          participants: normalizeAll(input.participants),
          captureSource: sourceId,
          captureInstance: input.instanceId,
        });
        if (created) {
          const audited: Promise<void> = audit
            .record({
              actor,
              action: 'conversation-start',
              targetType: 'conversation',
              targetId: conversation.id,
              severity: 'low',
              details: {
                number: conversation.number,
                userRef: conversation.userRef,
                ...(conversation.direction
                  ? { direction: conversation.direction }
                  : {}),
                ...(conversation.otherParty
                  ? { otherParty: conversation.otherParty }
                  : {}),
                sipCallId: conversation.sipCallId,
                startedAt: conversation.startedAt,
              },
            })
            .catch(e =>
              logger.error(
                `conversation-start audit of ${conversation.id} failed: ${e}`,
              ),
            )
            .finally(() => {
              if (startAudits.get(conversation.id) === audited) {
                startAudits.delete(conversation.id);
              }
            });
          startAudits.set(conversation.id, audited);
        }
        return conversation.id;
      },

      async update(id, patch) {
        const { participants, ...rest } = patch;
        await store.update(id, {
          ...rest,
          ...(participants ? { participants: normalizeAll(participants) } : {}),
        });
      },

      async finish(id, input): Promise<Conversation> {
        const { conversation, finished } = await store.finish(id, input);
        await startAudits.get(id);
        if (finished) {
          // signed before the finish is audited, so that the audit names the signature
          const signed = await signArchive(conversation);
          await options.retention?.assign(id);
          // failed: high; finished without (some of) its audio or stopped by the policy: medium
          let severity: 'low' | 'medium' | 'high' = 'low';
          if (conversation.audioIssues || conversation.recordingStopped)
            severity = 'medium';
          // received audio missing from the recording (a full journal disk): high, as a failure
          if (
            conversation.state === 'failed' ||
            conversation.audioIssues?.includes('audio-lost')
          )
            severity = 'high';
          await audit.record({
            actor,
            action: 'conversation-finish',
            targetType: 'conversation',
            targetId: id,
            severity,
            details: {
              number: conversation.number,
              state: conversation.state,
              endedBy: input.endedBy,
              ...(conversation.audioIssues
                ? { audioIssues: conversation.audioIssues }
                : {}),
              ...(conversation.durationMs !== undefined
                ? { durationMs: conversation.durationMs }
                : {}),
              ...(conversation.sha256 ? { sha256: conversation.sha256 } : {}),
              ...(conversation.storageKey
                ? { storageKey: conversation.storageKey }
                : {}),
              ...(signed
                ? { signatureId: signed.id, keyId: signed.keyId }
                : {}),
              ...(conversation.failureReason
                ? { failureReason: conversation.failureReason }
                : {}),
              // what of the received audio is not in the recording, per channel (ms)
              ...(typeof conversation.quality?.audioLostMs === 'number'
                ? {
                    audioLostMs: conversation.quality.audioLostMs,
                    audioLost: (conversation.quality.audioLost ?? []).map(
                      r => ({
                        channel: r.channel,
                        fromMs: r.fromMs,
                        toMs: r.toMs,
                        reason: r.reason,
                      }),
                    ),
                  }
                : {}),
              // the recorder's quality check: verdict and reason codes
              ...(conversation.qualityCheck
                ? {
                    qualityVerdict: conversation.qualityCheck.verdict,
                    qualityReasons: conversation.qualityCheck.reasons.map(
                      r => r.code,
                    ),
                  }
                : {}),
              // stopped mid-call by the policy (emergency number, private mode): why
              ...(conversation.recordingStopped
                ? { recordingStopped: { ...conversation.recordingStopped } }
                : {}),
            },
          });
        } else {
          logger.debug(
            `conversation ${id} was already ${conversation.state}; finish ignored`,
          );
        }
        return conversation;
      },

      async recordRefused(input): Promise<RefusedSession> {
        const { refused, created } = await store.recordRefused({
          ...input,
          participants: normalizeAll(input.participants),
          captureSource: sourceId,
          captureInstance: input.instanceId,
        });
        // a retried record that was already kept was audited with it
        if (created) await auditRefused(refused);
        return refused;
      },

      async withdrawRefused(id, refusal) {
        const { withdrawn, refused, created } = await store.withdrawRefused(
          id,
          {
            ...refusal,
            participants: normalizeAll(refusal.participants),
            captureSource: sourceId,
            captureInstance: refusal.instanceId,
          },
        );
        // its start is audited before its withdrawal
        await startAudits.get(id);
        if (withdrawn) {
          await audit.record({
            actor,
            action: 'conversation-withdrawn',
            targetType: 'conversation',
            targetId: withdrawn.id,
            severity: 'medium',
            details: {
              number: withdrawn.number,
              userRef: withdrawn.userRef,
              sipCallId: withdrawn.sipCallId,
              startedAt: withdrawn.startedAt,
              refusedSessionId: refused.id,
              reason: refused.reason,
              responseCode: refused.responseCode,
              ...(refused.message ? { message: refused.message } : {}),
            },
          });
        }
        if (created) await auditRefused(refused);
        return { withdrawn: withdrawn !== undefined, refused };
      },

      activeCount: (recordedNumberId, o) =>
        store.activeCount(recordedNumberId, o),

      listInProgress: (o = {}) =>
        store.listInProgress({
          captureSource: sourceId,
          captureInstance: o.instanceId,
        }),

      get: id => store.get(id),

      listArchivesToCompress: o =>
        store.listArchivesToCompress({
          captureSource: sourceId,
          captureInstance: o.instanceId,
          limit: o.limit,
        }),

      async replaceArchive(id, input) {
        const done = await store.replaceArchive(id, input);
        if (!done) return 'stale';
        // the new archive is signed, its signature naming the one it replaced
        const signed = options.signing
          ? await signArchive(done.conversation, done.replaced)
          : undefined;
        // chain of custody: the hash registered at the call's end and the one that replaces it
        await audit.record({
          actor,
          action: 'conversation-archive-compressed',
          targetType: 'conversation',
          targetId: id,
          severity: 'low',
          details: {
            number: done.number,
            from: done.replaced,
            to: {
              storageKey: input.storageKey,
              sha256: input.sha256.toLowerCase(),
              format: input.format,
              bytes: input.bytes,
            },
            ...(signed ? { signatureId: signed.id, keyId: signed.keyId } : {}),
          },
        });
        return 'replaced';
      },

      forgetSupersededArchive: (id, storageKey) =>
        store.forgetSupersededArchive(id, storageKey),
      // an upload to object storage verified (issue 20): `staged:<instance>` -> null
      async setArchiveLocation(storageKey, location, opts) {
        const n = await store.setArchiveLocation(storageKey, location, opts);
        if (location === null && n && options.archiveJobs) {
          // uploaded to the shared store: an interim WAV can be compressed now, by any
          // process that takes compress jobs (else the archive work's scan finds it)
          try {
            for (const id of await store.awaitingCompression(storageKey)) {
              await options.archiveJobs.enqueue(
                compressJobFor(id, options.compressOpus),
              );
            }
          } catch (e) {
            logger.warn(
              `${storageKey}: uploaded, but its compress job could not be enqueued (the archive scan enqueues it later): ${
                (e as Error).message
              }`,
            );
          }
        }
        return n;
      },
    },
  };
}
