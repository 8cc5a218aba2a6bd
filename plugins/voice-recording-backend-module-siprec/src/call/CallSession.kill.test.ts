import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { FinishConversationInput } from '@mvr/plugin-voice-recording-node';
import { decodeOggOpus } from '../audio/opusFile';
import { bestCorrelation, channel, encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import { scanJournal } from '../capture/CallJournal';
import { LocalFileBlobStore } from '../storage/BlobStore';
import { streamRtp } from '../testing/SrcClient';
import { emptyConversations } from '../__testUtils__/emptyConversations';
import { recoverCalls } from './recoverCalls';

jest.setTimeout(90_000);

/** Forks the child recorder (callSessionChild.js): its output lines as they come, and its ready line. */
async function startChild(journalDir: string, archiveDir: string, mode?: string) {
  const child = fork(path.join(__dirname, '__testUtils__/callSessionChild.js'), [journalDir, archiveDir, ...(mode ? [mode] : [])], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    cwd: path.resolve(__dirname, '../..'),
  });
  let stderr = '';
  let out = '';
  child.stderr!.on('data', d => (stderr += d));
  child.stdout!.on('data', d => (out += d));
  /** the first match of `re` in the child's output */
  const waitFor = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (!m) return;
        child.stdout!.off('data', check);
        resolve(m);
      };
      child.stdout!.on('data', check);
      check();
      child.once('exit', code => reject(new Error(`child exited ${code}: ${stderr}`)));
    });
  const m = await waitFor(/ready (\S+) (\d+) (\d+)/);
  return { child, conversationId: m[1], ports: [Number(m[2]), Number(m[3])], waitFor };
}

/** Runs recovery as a restarted recorder does, with a database that records the `finish`es. */
async function recover(journalDir: string, archiveDir: string) {
  const finished: Array<{ id: string; input: FinishConversationInput }> = [];
  const conversations = emptyConversations({
    finish: async (id, input) => {
      finished.push({ id, input });
      return {} as any;
    },
  });
  const summary = await recoverCalls({
    journalDir,
    conversations,
    blobStore: new LocalFileBlobStore(archiveDir, { minFreeBytes: 1 }),
    format: 'opus',
    instanceId: 'kill-test',
    logger: mockServices.logger.mock(),
  });
  return { summary, finished };
}

/** Audio samples of each channel in the (only) journal of `journalDir`. */
async function journalSamples(journalDir: string): Promise<Map<number, number>> {
  const [name] = fs.readdirSync(journalDir).filter(n => n.endsWith('.mvrj'));
  const scan = await scanJournal(path.join(journalDir, name));
  const out = new Map<number, number>();
  for (const a of scan.audio) out.set(a.channel, (out.get(a.channel) ?? 0) + a.samples);
  return out;
}

describe('kill -9 of a recorder mid-call', () => {
  it('loses at most ~1 s: the journal is archived at restart and the conversation finished as recovered-after-crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-kill-'));
    const journalDir = path.join(dir, 'journal');
    const archiveDir = path.join(dir, 'recordings');
    const speech = synthSpeech('Buy one thousand shares of the fund at market price before noon today.').subarray(0, 8000 * 3);
    const { child, conversationId, ports } = await startChild(journalDir, archiveDir);
    const [p0, p1] = ports;
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

    const samples = await journalSamples(journalDir);
    const { summary, finished } = await recover(journalDir, archiveDir);
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
    // the figures count the audio recovered (written with it by each flush), not a stale snapshot
    const quality = input.quality!;
    const channels = quality.channels as Array<{ channel: number; packetsReceived: number; codec?: string }>;
    expect(channels.map(ch => ch.channel)).toEqual([0, 1]);
    for (const ch of channels) {
      // eslint-disable-next-line no-console
      console.log(`channel ${ch.channel}: ${ch.packetsReceived} packets counted, ${samples.get(ch.channel)! / 160} in the journal`);
      expect(Math.abs(ch.packetsReceived * 160 - samples.get(ch.channel)!)).toBeLessThanOrEqual(2 * 160);
      expect(ch.codec).toBe('PCMA');
    }
    expect(quality.packetsReceived).toBe(channels[0].packetsReceived + channels[1].packetsReceived);
    expect(quality.packetsLost).toBe(0);
    expect(fs.readdirSync(journalDir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('after the BYE, before the registration: recovery registers the final figures of the call', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-kill-bye-'));
    const journalDir = path.join(dir, 'journal');
    const archiveDir = path.join(dir, 'recordings');
    const speech = synthSpeech('Buy one thousand shares of the fund at market price before noon today.').subarray(0, 8000 * 3);
    const { child, ports, waitFor } = await startChild(journalDir, archiveDir, 'bye-then-hang');
    await Promise.all(ports.map(port => streamRtp({ port, payload: encodeG711('pcma', speech), payloadType: 8 })));
    await new Promise(r => setTimeout(r, 200));
    child.send('bye');
    // the child archived the call and asked the database to finish it: the crash comes now
    const [, json] = await waitFor(/finishing (.+)\n/);
    const atBye = JSON.parse(json);
    child.kill('SIGKILL');
    await new Promise(r => child.exitCode !== null || child.signalCode ? r(undefined) : child.once('exit', r));

    const { summary, finished } = await recover(journalDir, archiveDir);
    expect(summary).toMatchObject({ journals: 1, registered: 1 });
    const { input } = finished[0];
    expect(input.endedBy).toBe('bye');
    // eslint-disable-next-line no-console
    console.log(`at BYE ${atBye.packetsReceived} packets; recovered ${input.quality?.packetsReceived}`);
    expect(atBye.packetsReceived).toBe(2 * (speech.length / 160));
    // the figures as the session had them at the BYE: counters, codec and RTP sources of each channel
    expect(input.quality).toEqual(atBye);
    for (const ch of atBye.channels) {
      expect(ch.codec).toBe('PCMA');
      expect(ch.sources).toHaveLength(1);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
