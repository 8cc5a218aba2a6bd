import { randomUUID } from 'node:crypto';
import {
  ConversationQualityCheck,
  RecordedNumber,
  RefusalReason,
} from '@mvr/plugin-voice-recording-common';
import { KnexConversationsStore } from '../../../database/ConversationsStore';

/** A quality check with one reason when not ok. */
export function qualityCheck(
  verdict: ConversationQualityCheck['verdict'],
): ConversationQualityCheck {
  return {
    verdict,
    reasons:
      verdict === 'ok'
        ? []
        : [
            {
              code: verdict === 'failed' ? 'one-way' : 'packet-loss',
              severity: verdict,
              text: `${verdict} text`,
            },
          ],
    channels: [
      { side: 'recorded', speechShare: 0.4, clippedShare: 0 },
      { side: 'other', speechShare: 0.3, clippedShare: 0 },
    ],
    packetLossShare: 0,
    checkedAt: new Date().toISOString(),
  };
}

/**
 * Records a finished call of `number` through the recorder's store (as a capture source
 * does): started at `startedAt`, `seconds` long, with a quality verdict when given.
 */
export async function recordCall(
  store: KnexConversationsStore,
  number: RecordedNumber,
  startedAt: string,
  seconds: number,
  verdict?: ConversationQualityCheck['verdict'],
): Promise<string> {
  const start = new Date(startedAt);
  const { conversation } = await store.begin({
    recordedNumber: number,
    direction: 'incoming',
    otherParty: '+32471000001',
    startedAt: start,
    sipCallId: `coverage-${randomUUID()}`,
    participants: [],
    metadata: {},
    captureSource: 'test',
  });
  await store.finish(conversation.id, {
    endedAt: new Date(start.getTime() + seconds * 1000),
    endedBy: 'bye',
    storageKey: `recordings/${conversation.id}.ogg`,
    sha256: 'a'.repeat(64),
    bytes: 1000,
    format: 'audio/ogg; codecs=opus',
    durationMs: seconds * 1000,
    ...(verdict ? { qualityCheck: qualityCheck(verdict) } : {}),
  });
  return conversation.id;
}

/** Records a refused session of `number` at `at`. */
export async function refuseCall(
  store: KnexConversationsStore,
  number: RecordedNumber,
  at: string,
  reason: RefusalReason,
): Promise<void> {
  await store.recordRefused({
    at: new Date(at),
    participants: [{ aor: `sip:${number.number}@sbc` }],
    recordedNumber: number,
    reason,
    message: `refused: ${reason}`,
    sipCallId: `refused-${randomUUID()}`,
    responseCode: 403,
    captureSource: 'test',
  });
}
