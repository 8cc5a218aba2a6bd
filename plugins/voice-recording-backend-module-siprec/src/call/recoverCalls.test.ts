import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { FinishConversationInput } from '@mvr/plugin-voice-recording-node';
import { emptyConversations } from '../__testUtils__/emptyConversations';
import { CallJournal } from '../capture/CallJournal';
import { LocalFileBlobStore } from '../storage/BlobStore';
import { recoverCalls } from './recoverCalls';

describe('recoverCalls', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-recover-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const channels = [
    { index: 0, role: 'recorded' as const, encoding: 'pcma' as const, label: '1' },
    { index: 1, role: 'other' as const, encoding: 'pcma' as const, label: '2' },
  ];

  it('deletes the journal of a set-up that never completed (no conversation row, no audio), keeps one with audio', async () => {
    const journalDir = path.join(dir, 'journal');
    const empty = await CallJournal.create(journalDir, { callId: 'never-answered', channels, metadata: { conversationId: 'c-empty', sipCallId: 'never-answered' } });
    await empty.close();
    const withAudio = await CallJournal.create(journalDir, { callId: 'answered', channels, metadata: { conversationId: 'c-audio', sipCallId: 'answered' } });
    for (let f = 0; f < 50; f++) withAudio.appendAudio(0, f * 160, Buffer.alloc(160, 0xd5));
    await withAudio.close();

    const finished: Array<{ id: string; input: FinishConversationInput }> = [];
    const logger = mockServices.logger.mock();
    const summary = await recoverCalls({
      journalDir,
      // the database has no row of either conversation (a crash between journal and row at set-up)
      conversations: emptyConversations({
        finish: async (id, input) => {
          finished.push({ id, input });
          return {} as any;
        },
      }),
      blobStore: new LocalFileBlobStore(path.join(dir, 'recordings'), { minFreeBytes: 0 }),
      format: 'wav-g711',
      instanceId: 'recover-test',
      logger,
    });
    expect(fs.existsSync(empty.path)).toBe(false);
    expect(logger.info).toHaveBeenCalledWith(expect.stringContaining('never completed (no conversation, no audio); deleted'));
    // the one with audio is archived and registered as usual
    expect(finished.map(f => f.id)).toEqual(['c-audio']);
    expect(finished[0].input).toMatchObject({ endedBy: 'recovered-after-crash', format: 'audio/wav' });
    expect(fs.existsSync(path.join(dir, 'recordings', finished[0].input.storageKey!))).toBe(true);
    expect(summary.journals).toBe(2);
  });
});
