import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { FinishConversationInput } from '@mvr/plugin-voice-recording-node';
import { decodeOggOpus } from '../audio/opusFile';
import { bestCorrelation, channel, encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import { LocalFileBlobStore } from '../storage/BlobStore';
import { streamRtp } from '../testing/SrcClient';
import { emptyConversations } from '../__testUtils__/emptyConversations';
import { recoverCalls } from './recoverCalls';

jest.setTimeout(90_000);

describe('kill -9 of a recorder mid-call', () => {
  it('loses at most ~1 s: the journal is archived at restart and the conversation finished as recovered-after-crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-kill-'));
    const journalDir = path.join(dir, 'journal');
    const archiveDir = path.join(dir, 'recordings');
    const speech = synthSpeech('Buy one thousand shares of the fund at market price before noon today.').subarray(0, 8000 * 3);
    const child = fork(path.join(__dirname, '__testUtils__/callSessionChild.js'), [journalDir, archiveDir], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: path.resolve(__dirname, '../..'),
    });
    let stderr = '';
    child.stderr!.on('data', d => (stderr += d));
    const ready = await new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', d => {
        out += d;
        const m = /ready (\S+) (\d+) (\d+)/.exec(out);
        if (m) resolve([m[1], m[2], m[3]]);
      });
      child.once('exit', code => reject(new Error(`child exited ${code}: ${stderr}`)));
    });
    const [conversationId, p0, p1] = ready;
    const abort = new AbortController();
    const t0 = Date.now();
    const media = Promise.all([
      streamRtp({ port: Number(p0), payload: encodeG711('pcma', speech), payloadType: 8, signal: abort.signal }),
      streamRtp({ port: Number(p1), payload: encodeG711('pcma', speech), payloadType: 8, signal: abort.signal }),
    ]);
    await new Promise(r => setTimeout(r, 2500));
    child.kill('SIGKILL');
    const killedAfter = Date.now() - t0;
    abort.abort();
    await media;
    await new Promise(r => child.exitCode !== null || child.signalCode ? r(undefined) : child.once('exit', r));

    const finished: Array<{ id: string; input: FinishConversationInput }> = [];
    const conversations = emptyConversations({
      finish: async (id, input) => {
        finished.push({ id, input });
        return {} as any;
      },
    });
    const blobStore = new LocalFileBlobStore(archiveDir, { minFreeBytes: 1 });
    const summary = await recoverCalls({
      journalDir,
      conversations,
      blobStore,
      format: 'opus',
      instanceId: 'kill-test',
      logger: mockServices.logger.mock(),
    });
    expect(summary).toMatchObject({ journals: 1, registered: 1, pending: 0 });
    expect(finished).toHaveLength(1);
    const { id, input } = finished[0];
    expect(id).toBe(conversationId);
    expect(input.endedBy).toBe('recovered-after-crash');
    // at most ~1 s of the audio received before the kill is lost
    // eslint-disable-next-line no-console
    console.log(`kill -9 after ${killedAfter} ms of media: recovered ${input.durationMs} ms`);
    expect(input.durationMs!).toBeGreaterThan(killedAfter - 1300);
    expect(input.durationMs!).toBeLessThanOrEqual(killedAfter + 200);
    const file = fs.readFileSync(path.join(archiveDir, input.storageKey!));
    expect(createHash('sha256').update(file).digest('hex')).toBe(input.sha256);
    const left = channel(decodeOggOpus(file, 8000).pcm, 0);
    const got = Math.min(left.length - 2000, speech.length);
    const c = bestCorrelation(speech.subarray(0, got - 2000), left.subarray(0, got), 4000);
    expect(c.value).toBeGreaterThan(0.8);
    expect(fs.readdirSync(journalDir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
