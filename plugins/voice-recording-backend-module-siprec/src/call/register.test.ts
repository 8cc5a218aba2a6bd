import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  CaptureConversations,
  ConversationPatch,
  FinishConversationInput,
} from '@mvr/plugin-voice-recording-node';
import { registerOnce, RegistrationJob } from './register';

/** Records the calls registerOnce makes (the store itself is tested in the backend plugin). */
function recordingStore() {
  const calls: Array<
    ['update', ConversationPatch] | ['finish', FinishConversationInput]
  > = [];
  const conversations = {
    update: async (_id: string, patch: ConversationPatch) => {
      calls.push(['update', patch]);
    },
    finish: async (id: string, input: FinishConversationInput) => {
      calls.push(['finish', input]);
      return { id } as Conversation;
    },
  } as unknown as CaptureConversations;
  return { calls, conversations };
}

const finish: FinishConversationInput = {
  endedAt: new Date('2026-12-06T12:00:00.000Z'),
  endedBy: 'bye',
  storageKey: 'recordings/a.wav',
  sha256: 'a'.repeat(64),
  bytes: 100,
  format: 'audio/wav',
  durationMs: 30_000,
};
const dtmf = [{ at: '2026-12-06T11:59:50.000Z', digit: '1' }];

describe('registerOnce', () => {
  it('writes the DTMF events and quality with the finish: one call, no update before it', async () => {
    const { calls, conversations } = recordingStore();
    const job: RegistrationJob = {
      conversationId: 'c1',
      deleteJournal: false,
      patch: { dtmf, quality: { gaps: 1 } },
      finish,
    };
    await registerOnce(job, conversations);
    expect(calls).toEqual([
      ['finish', { ...finish, dtmf, quality: { gaps: 1 } }],
    ]);
  });

  it("keeps the finish's own quality over the patch's (as when the update came first)", async () => {
    const { calls, conversations } = recordingStore();
    await registerOnce(
      {
        conversationId: 'c1',
        deleteJournal: false,
        patch: { quality: { gaps: 1 } },
        finish: { ...finish, quality: { gaps: 7 } },
      },
      conversations,
    );
    expect(calls).toEqual([['finish', { ...finish, quality: { gaps: 7 } }]]);
  });

  it('updates first when the patch holds more than DTMF and quality', async () => {
    const { calls, conversations } = recordingStore();
    const patch: ConversationPatch = { dtmf, otherParty: '+3225550100' };
    await registerOnce(
      { conversationId: 'c1', deleteJournal: false, patch, finish },
      conversations,
    );
    expect(calls).toEqual([
      ['update', patch],
      ['finish', finish],
    ]);
  });
});
