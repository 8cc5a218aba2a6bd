import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CallJournal, readAudioPayloads, scanJournal } from './CallJournal';
import { RECOVERED_AFTER_CRASH, scanJournalDirectory } from './recovery';
import { finalizeRecording } from './finalize';
import { LocalFileBlobStore } from '../storage/BlobStore';
import { decodeOggOpus } from '../audio/opusFile';
import { decodeG711 } from '../audio/__testUtils__/speech';

const channels = [
  { index: 0, role: 'recorded' as const, encoding: 'pcm16' as const },
  { index: 1, role: 'other' as const, encoding: 'pcmu' as const },
];

describe('journal recovery', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-recovery-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('closes unfinished journals as recovered-after-crash, keeps ended ones, reports unreadable files', async () => {
    const startedAt = new Date('2025-05-05T08:00:00Z');
    const crashed = await CallJournal.create(dir, { callId: 'crashed', startedAt, channels });
    for (let f = 0; f < 50; f++) crashed.appendAudio(0, 8000 + f * 160, new Int16Array(160).fill(1000));
    await crashed.close(); // flushed, no end record: what a crash leaves behind
    const ended = await CallJournal.create(dir, { callId: 'ended', channels });
    ended.appendAudio(1, 0, new Uint8Array(160).fill(0x10));
    await ended.end({ endedBy: 'bye', durationSamples: 16000 });
    fs.writeFileSync(path.join(dir, 'garbage.mvrj'), 'not a journal');
    // a set-up that reserved its journal file and never wrote the header (crash during the decision)
    const reserved = await CallJournal.reserve(dir, 'abandoned', startedAt);
    await reserved.handle.close();
    fs.writeFileSync(path.join(dir, 'ignored.txt'), 'other file');

    const result = await scanJournalDirectory(dir);
    expect(result.unreadable).toHaveLength(1);
    expect(result.unreadable[0].path).toContain('garbage.mvrj');
    const byId = Object.fromEntries(result.toFinalize.map(i => [i.header.callId, i]));
    expect(byId.crashed).toMatchObject({
      endedBy: RECOVERED_AFTER_CRASH,
      durationSamples: 8000 + 50 * 160,
      endedAt: new Date(startedAt.getTime() + 2000).toISOString(),
    });
    expect(byId.ended).toMatchObject({ endedBy: 'bye', durationSamples: 16000 });
    expect(result.abandoned).toEqual([reserved.path]);
    expect(fs.existsSync(reserved.path)).toBe(false);
    expect(result.toFinalize).toHaveLength(2);
    expect(await scanJournalDirectory(path.join(dir, 'missing'))).toEqual({ toFinalize: [], unreadable: [], abandoned: [] });
  });

  it.each([
    ['each journal durable by itself (O_DSYNC)', 'file'],
    ['the journals of a tick durable by one syncfs (JournalSyncGroup)', 'group'],
  ])('kill -9 mid-stream, %s: recovery loses at most the last flush interval, the torn tail is detected', async (_how, mode) => {
    const flushMs = 1000;
    const child: ChildProcess = spawn(
      process.execPath,
      [path.join(__dirname, '__testUtils__', 'journalWriterChild.js'), dir, String(flushMs), mode],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', d => {
      stderr += d;
    });
    const progress = { path: '', appended: 0, flushed: 0 };
    const exited = new Promise<void>(resolve => child.on('exit', () => resolve()));
    let buf = '';
    child.stdout!.on('data', d => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const [what, value] = line.split(' ');
        if (what === 'ready') progress.path = value;
        if (what === 'appended') progress.appended = Number(value);
        if (what === 'flushed') progress.flushed = Number(value);
      }
    });
    // let it record ~3.5 s of audio (three flushes), then kill it between flushes
    const deadline = Date.now() + 60_000;
    while (progress.appended < 3.5 * 8000) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`journal writer child died or stalled: ${stderr}`);
      }
      await new Promise(r => setTimeout(r, 20));
    }
    const appendedAtKill = progress.appended;
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    expect(progress.flushed).toBeGreaterThan(0);

    // kill -9 cannot tear a write() already in the kernel; a power cut or a short
    // write can. Append half a record to the crashed file to have a real torn tail.
    const half = fs.readFileSync(progress.path).subarray(8, 8 + 40);
    fs.appendFileSync(progress.path, half);

    const result = await scanJournalDirectory(dir);
    expect(result.unreadable).toEqual([]);
    expect(result.toFinalize).toHaveLength(1);
    const input = result.toFinalize[0];
    expect(input.endedBy).toBe(RECOVERED_AFTER_CRASH);
    expect(input.scan.tornTailBytes).toBe(40);
    expect(input.scan.corruptRecords).toBe(0);
    // everything the child saw flushed is there; at most ~1 s is lost
    expect(input.durationSamples).toBeGreaterThanOrEqual(progress.flushed);
    const lostMs = ((appendedAtKill - input.durationSamples) / 8000) * 1000;
    // eslint-disable-next-line no-console
    console.log(
      `kill -9 (${mode}): appended ${appendedAtKill / 8} ms, recovered ${input.durationSamples / 8} ms, lost ${lostMs.toFixed(0)} ms`,
    );
    // bound: flush interval + one fdatasync + timer lateness on a loaded machine
    expect(lostMs).toBeLessThanOrEqual(flushMs + 300);

    // the recovered frames are intact and contiguous on both channels
    const scan = await scanJournal(input.journalPath);
    const h = await fs.promises.open(input.journalPath, 'r');
    const payloads = await readAudioPayloads(h, scan.audio);
    await h.close();
    // each channel's records follow each other without a gap from offset 0
    for (const c of [0, 1]) {
      const runs = scan.audio.filter(e => e.channel === c);
      expect(runs.length).toBeGreaterThanOrEqual(3); // one per flush
      runs.forEach((e, i) => expect(e.offsetSamples).toBe(i === 0 ? 0 : runs[i - 1].offsetSamples + runs[i - 1].samples));
    }
    // every sample is the one the child wrote at that offset
    const mismatches: string[] = [];
    scan.audio.forEach((e, i) => {
      for (let k = 0; k < e.samples; k++) {
        const o = e.offsetSamples + k;
        const frameStart = o - (o % 160);
        const ok =
          e.channel === 0
            ? payloads[i].readInt16LE(2 * k) === (o * 37) % 20000 - 10000
            : payloads[i][k] === ((frameStart / 160 + (o % 160)) & 0xff);
        if (!ok && mismatches.length < 5) mismatches.push(`channel ${e.channel} sample ${o}`);
      }
    });
    expect(mismatches).toEqual([]);

    // and it finalizes into a playable file of the recovered duration
    const store = new LocalFileBlobStore(path.join(dir, 'blobs'), { minFreeBytes: 0 });
    const res = await finalizeRecording(input, { blobStore: store, decodeG711 });
    expect(res.endedBy).toBe(RECOVERED_AFTER_CRASH);
    expect(fs.existsSync(input.journalPath)).toBe(false);
    const chunks: Buffer[] = [];
    for await (const c of await store.get(res.storageKey)) chunks.push(c as Buffer);
    expect(decodeOggOpus(Buffer.concat(chunks)).samples).toBe(input.durationSamples);
  }, 90_000);
});
