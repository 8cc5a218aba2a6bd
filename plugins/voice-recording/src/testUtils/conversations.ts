import type {
  ConversationDetail,
  ConversationSummary,
} from '../api/VoiceRecordingApi';

export function makeConversationSummary(
  overrides: Partial<ConversationSummary> = {},
): ConversationSummary {
  return {
    id: 'c1',
    recordedNumberId: 'n1',
    number: '+32470123456',
    userRef: 'user:default/bob',
    direction: 'outgoing',
    otherParty: '+32471234567',
    startedAt: '2026-11-25T10:30:00.000Z',
    endedAt: '2026-11-25T10:32:05.000Z',
    durationMs: 125_000,
    codec: 'PCMA/8000',
    sipCallId: 'call-1@sbc',
    participants: [
      {
        aor: 'sip:+32470123456@sbc',
        number: '+32470123456',
        name: 'Bob',
        recorded: true,
      },
      { aor: 'sip:+32471234567@sbc', number: '+32471234567' },
    ],
    dtmf: [],
    state: 'finished',
    captureSource: 'siprec',
    createdAt: '2026-11-25T10:30:00.000Z',
    updatedAt: '2026-11-25T10:32:05.000Z',
    qualityWarnings: [],
    ...overrides,
  };
}

export function makeConversationDetail(
  overrides: Partial<ConversationDetail> = {},
): ConversationDetail {
  const { qualityWarnings, ...summary } = makeConversationSummary();
  return {
    ...summary,
    qualityWarnings,
    metadata: {},
    dtmf: [
      { at: '2026-11-25T10:30:25.000Z', digit: '5' },
      { at: '2026-11-25T10:31:02.500Z', digit: '#' },
    ],
    quality: { packetsReceived: 990, packetsLost: 10, jitterMs: 12 },
    audio: { available: true, formats: ['ogg', 'wav'], durationMs: 125_000 },
    ...overrides,
  };
}
