import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CallJournal, JournalChannel } from './CallJournal';
import { finalizeRecording, loadFinalizeInput } from './finalize';
import { OpusEncoderPool, PeakEnvelopeBuilder, decodePeaks } from '@mvr/plugin-voice-recording-node';
import { decodeOggOpus } from '../audio/opusFile';
import { readOggPages } from '../audio/ogg';
import { deinterleaveBytes, deinterleavePcm16, readWav } from '../audio/wav';
import { LocalFileBlobStore, StorageUnavailableError } from '../storage/BlobStore';
import {
  bestCorrelation,
  channel,
  decodeG711,
  encodeG711,
  loopTo,
  requireAudioTools,
  rms,
  synthSpeech,
} from '../audio/__testUtils__/speech';

const RATE = 8000;
const FRAME = 160;

/** Send `pcm` as 20 ms frames placed at `startAt`, skipping frames in `drop` (packet loss). */
function sendFrames(
  j: CallJournal,
  ch: number,
  pcm: Int16Array,
  startAt: number,
  codec: 'pcm16' | 'pcmu' | 'pcma',
  drop: (frameNo: number) => boolean = () => false,
): void {
  for (let f = 0; f * FRAME < pcm.length; f++) {
    if (drop(f)) continue;
    const slice = pcm.subarray(f * FRAME, (f + 1) * FRAME);
    j.appendAudio(ch, startAt + f * FRAME, codec === 'pcm16' ? slice : encodeG711(codec, slice));
  }
}

/** What the timeline should contain: pcm at startAt, zeros in dropped frames. */
function expectedTimeline(total: number, pcm: Int16Array, startAt: number, drop: (f: number) => boolean = () => false) {
  const out = new Int16Array(total);
  for (let f = 0; f * FRAME < pcm.length; f++) {
    if (drop(f)) continue;
    out.set(pcm.subarray(f * FRAME, Math.min((f + 1) * FRAME, pcm.length)), startAt + f * FRAME);
  }
  return out;
}

async function readBlob(store: LocalFileBlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The `.peaks` sidecar of an archive equals the envelope of the timeline it holds. */
async function expectPeaksOf(store: LocalFileBlobStore, storageKey: string, peaksKey: string | undefined, left: Int16Array, right: Int16Array) {
  expect(peaksKey).toBe(`${storageKey}.peaks`);
  const env = decodePeaks(await readBlob(store, peaksKey!), peaksKey);
  const want = new PeakEnvelopeBuilder({ sampleRate: RATE, samplesPerPeak: 80, channels: 2 });
  want.push([left, right]);
  expect(env).toEqual(want.finish());
  expect(Math.max(...env.peaks[0])).toBeGreaterThan(100); // speech, not silence
  expect((await store.stat(peaksKey!))?.size).toBe(32 + 2 * Math.ceil(left.length / 80));
}

describe('finalizeRecording', () => {
  let dir: string;
  let journals: string;
  let store: LocalFileBlobStore;
  let userSpeech: Int16Array;
  let otherSpeech: Int16Array;

  beforeAll(() => {
    requireAudioTools();
    userSpeech = synthSpeech(
      'Hello, this is Bob from the trading desk. I want to sell two thousand shares of Acme at fifty two euros.',
    );
    otherSpeech = synthSpeech(
      'Understood. Two thousand Acme at fifty two, good for the day. I will confirm the execution by email.',
      'en-gb',
      150,
    );
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-finalize-'));
    journals = path.join(dir, 'journal');
    store = new LocalFileBlobStore(path.join(dir, 'blobs'), { minFreeBytes: 0 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const twoParties = (enc: 'pcm16' | 'pcmu' | 'pcma', enc2 = enc): JournalChannel[] => [
    { index: 0, role: 'other', encoding: enc2, label: 'b_leg' },
    { index: 1, role: 'recorded', encoding: enc, label: 'a_leg' },
  ];

  it('opus: both parties on one stereo timeline (user LEFT), gaps as silence, aligned and compact', async () => {
    const j = await CallJournal.create(journals, { callId: 'opus-call', channels: twoParties('pcm16') });
    const otherStart = 4000; // the other party starts talking 0.5 s in
    const drop = (f: number) => f >= 100 && f < 110; // 200 ms of lost packets
    sendFrames(j, 1, userSpeech, 0, 'pcm16');
    sendFrames(j, 0, otherSpeech, otherStart, 'pcm16', drop);
    const total = Math.max(userSpeech.length, otherStart + otherSpeech.length) + 2400; // trailing 0.3 s pause
    await j.end({ endedBy: 'bye', durationSamples: total });

    const input = await loadFinalizeInput(j.path);
    const t0 = process.hrtime.bigint();
    const res = await finalizeRecording(input, { blobStore: store, opus: { complexity: 5 } });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

    expect(res.format).toBe('opus');
    expect(res.endedBy).toBe('bye');
    expect(res.journalDeleted).toBe(true);
    expect(fs.existsSync(j.path)).toBe(false);
    const file = await readBlob(store, res.storageKey);
    expect(res.bytes).toBe(file.length);
    expect(res.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    expect(res.storageKey).toMatch(/^recordings\/\d{4}\/\d{2}\/\d{2}\/opus-call-\d+\.opus$/);
    // the peak envelope of the rendered timeline is stored next to it (not in the SHA-256)
    await expectPeaksOf(store, res.storageKey, res.peaksKey, expectedTimeline(total, userSpeech, 0), expectedTimeline(total, otherSpeech, otherStart, drop));

    const decoded = decodeOggOpus(file);
    expect(decoded.channels).toBe(2);
    const expectedMs = (total / RATE) * 1000;
    expect(Math.abs((decoded.samples / RATE) * 1000 - expectedMs)).toBeLessThanOrEqual(40);
    expect(Math.abs(res.durationMs - expectedMs)).toBeLessThanOrEqual(1);

    const left = channel(decoded.pcm, 0);
    const right = channel(decoded.pcm, 1);
    const wantLeft = expectedTimeline(total, userSpeech, 0);
    const wantRight = expectedTimeline(total, otherSpeech, otherStart, drop);
    const l = bestCorrelation(wantLeft, left);
    const r = bestCorrelation(wantRight, right);
    expect(l.value).toBeGreaterThan(0.8);
    expect(r.value).toBeGreaterThan(0.8);
    expect(Math.abs(l.lag)).toBeLessThanOrEqual(8);
    expect(Math.abs(r.lag)).toBeLessThanOrEqual(8); // the channels are aligned on one timeline
    // each channel carries only its own party
    expect(Math.abs(bestCorrelation(wantRight, left).value)).toBeLessThan(0.3);
    expect(Math.abs(bestCorrelation(wantLeft, right).value)).toBeLessThan(0.3);
    // the lost packets and the late start are silence on the right channel
    expect(rms(right.subarray(otherStart + 100 * FRAME + 80, otherStart + 110 * FRAME - 80))).toBeLessThan(200);
    expect(rms(right.subarray(200, otherStart - 200))).toBeLessThan(200);

    const pages = readOggPages(file);
    const headerBytes = pages[2].offset; // OpusHead + OpusTags pages, once per file
    const perHour = ((file.length - headerBytes) / (total / RATE)) * 3600 + headerBytes;
    // eslint-disable-next-line no-console
    console.log(
      `opus finalize: ${(total / RATE).toFixed(1)} s in ${seconds.toFixed(2)} s = ${((total / RATE) / seconds).toFixed(0)}x real time; ` +
        `${file.length} bytes => ${(perHour / 1e6).toFixed(2)} MB/hour; corr L=${l.value.toFixed(3)} R=${r.value.toFixed(3)}`,
    );
    expect(perHour).toBeLessThanOrEqual(7.2e6);
  }, 60_000);

  it('opus: a single mixed stream goes to both channels; G.711 input is decoded', async () => {
    const j = await CallJournal.create(journals, {
      callId: 'mixed',
      channels: [{ index: 0, role: 'mixed', encoding: 'pcmu' }],
    });
    sendFrames(j, 0, userSpeech, 0, 'pcmu');
    await j.end({ endedBy: 'bye' });
    const input = await loadFinalizeInput(j.path);
    await expect(finalizeRecording(input, { blobStore: store })).rejects.toThrow(/needs a G.711 decoder/);
    expect(fs.existsSync(j.path)).toBe(true); // nothing lost on failure
    const res = await finalizeRecording(input, { blobStore: store, decodeG711 });
    const decoded = decodeOggOpus(await readBlob(store, res.storageKey));
    const want = decodeG711('pcmu', encodeG711('pcmu', userSpeech));
    expect(bestCorrelation(want, channel(decoded.pcm, 0)).value).toBeGreaterThan(0.8);
    expect(bestCorrelation(want, channel(decoded.pcm, 1)).value).toBeGreaterThan(0.8);
  }, 60_000);

  it.each([
    ['pcmu', 0xff, 'wav-g711-mulaw', 7],
    ['pcma', 0xd5, 'wav-g711-alaw', 6],
  ] as const)('lossless %s: the WAV holds the exact bytes sent, silence = %d', async (law, silence, format, code) => {
    const j = await CallJournal.create(journals, { callId: `lossless-${law}`, channels: twoParties(law) });
    const userBytes = encodeG711(law, userSpeech);
    const otherBytes = encodeG711(law, otherSpeech);
    const drop = (f: number) => f === 20 || f === 21;
    sendFrames(j, 1, userSpeech, 0, law);
    sendFrames(j, 0, otherSpeech, 800, law, drop);
    await j.end({ endedBy: 'bye' });
    const res = await finalizeRecording(await loadFinalizeInput(j.path), { blobStore: store, format: 'wav-g711' });
    expect(res.format).toBe(format);
    const wav = readWav(await readBlob(store, res.storageKey));
    expect(wav.formatCode).toBe(code);
    expect(wav.channels).toBe(2);
    expect(wav.bitsPerSample).toBe(8);
    const [left, right] = deinterleaveBytes(wav.data, 2);
    const total = Math.max(userBytes.length, 800 + otherBytes.length);
    expect(wav.frames).toBe(total);
    expect(Buffer.from(left.subarray(0, userBytes.length)).equals(Buffer.from(userBytes))).toBe(true);
    expect(left.subarray(userBytes.length).every(b => b === silence)).toBe(true);
    expect(right.subarray(0, 800).every(b => b === silence)).toBe(true);
    const want = new Uint8Array(total - 800).fill(silence);
    for (let f = 0; f * FRAME < otherBytes.length; f++) {
      if (!drop(f)) want.set(otherBytes.subarray(f * FRAME, (f + 1) * FRAME), f * FRAME);
    }
    expect(Buffer.from(right.subarray(800)).equals(Buffer.from(want))).toBe(true);
    // peaks of the expanded G.711 timeline
    await expectPeaksOf(store, res.storageKey, res.peaksKey, decodeG711(law, left), decodeG711(law, right));
  });

  it('opus: many calls finalized at the same time all succeed (calls ending together under load)', async () => {
    // 40 concurrent Opus archives: with every encoder alive at once the shared WASM
    // heap of opusscript grew and detached the older encoders' views ("offset is out of bounds")
    const second = userSpeech.subarray(0, RATE);
    const inputs = [];
    for (let i = 0; i < 40; i++) {
      const j = await CallJournal.create(journals, { callId: `together-${i}`, channels: twoParties('pcma') });
      sendFrames(j, 1, second, 0, 'pcma');
      sendFrames(j, 0, second, 0, 'pcma');
      await j.end({ endedBy: 'bye' });
      inputs.push(await loadFinalizeInput(j.path));
    }
    const results = await Promise.allSettled(
      inputs.map(input => finalizeRecording(input, { blobStore: store, format: 'opus', decodeG711 })),
    );
    const failed = results.filter(r => r.status === 'rejected').map(r => String((r as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    for (const r of results) {
      const res = (r as PromiseFulfilledResult<Awaited<ReturnType<typeof finalizeRecording>>>).value;
      expect(res.durationMs).toBe(1000);
      const decoded = decodeOggOpus(await readBlob(store, res.storageKey));
      expect(decoded.samples / decoded.sampleRate).toBe(1);
    }
  });

  it('opus on encoder worker threads: the same file bytes as on the event loop, many calls at once', async () => {
    const pool = new OpusEncoderPool({ threads: 2 });
    try {
      const inputs = [];
      for (let i = 0; i < 12; i++) {
        const j = await CallJournal.create(journals, { callId: `pool-${i}`, channels: twoParties('pcma') });
        sendFrames(j, 1, userSpeech.subarray(i * 800), 0, 'pcma');
        sendFrames(j, 0, otherSpeech, 0, 'pcma');
        await j.end({ endedBy: 'bye' });
        inputs.push(await loadFinalizeInput(j.path));
      }
      const opus = (i: number) => ({ serial: 1000 + i, complexity: 0 });
      const onPool = await Promise.all(
        inputs.map((input, i) =>
          finalizeRecording(input, { blobStore: store, format: 'opus', opus: opus(i), opusPool: pool, decodeG711, deleteJournal: false, storageKey: `pool/${i}.opus` }),
        ),
      );
      expect(pool.liveWorkers).toBe(2);
      for (let i = 0; i < inputs.length; i++) {
        const inThread = await finalizeRecording(inputs[i], { blobStore: store, format: 'opus', opus: opus(i), decodeG711, deleteJournal: false, storageKey: `thread/${i}.opus` });
        expect(onPool[i].sha256).toBe(inThread.sha256);
        expect(onPool[i].durationMs).toBe(inThread.durationMs);
        const decoded = decodeOggOpus(await readBlob(store, onPool[i].storageKey));
        // durationMs is rounded to the millisecond: within one ms of samples
        expect(Math.abs(decoded.samples - (onPool[i].durationMs * decoded.sampleRate) / 1000)).toBeLessThanOrEqual(decoded.sampleRate / 1000);
      }
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('lossless with different laws falls back to 16-bit PCM WAV of the decoded samples', async () => {
    const j = await CallJournal.create(journals, { callId: 'laws', channels: twoParties('pcmu', 'pcma') });
    sendFrames(j, 1, userSpeech, 0, 'pcmu');
    sendFrames(j, 0, otherSpeech, 0, 'pcma');
    await j.end({ endedBy: 'bye' });
    const res = await finalizeRecording(await loadFinalizeInput(j.path), {
      blobStore: store,
      format: 'wav-g711',
      decodeG711,
    });
    expect(res.format).toBe('wav-pcm16');
    const [left, right] = deinterleavePcm16(readWav(await readBlob(store, res.storageKey)).data, 2);
    expect(left.subarray(0, userSpeech.length)).toEqual(decodeG711('pcmu', encodeG711('pcmu', userSpeech)));
    expect(right.subarray(0, otherSpeech.length)).toEqual(decodeG711('pcma', encodeG711('pcma', otherSpeech)));
  });

  it('unwritable storage: StorageUnavailableError, the journal stays complete, a retry succeeds', async () => {
    const j = await CallJournal.create(journals, { callId: 'retry', channels: twoParties('pcm16') });
    sendFrames(j, 1, userSpeech, 0, 'pcm16');
    sendFrames(j, 0, otherSpeech, 0, 'pcm16');
    await j.end({ endedBy: 'bye' });
    const before = fs.readFileSync(j.path);
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, 'a file where the storage directory should be');
    const broken = new LocalFileBlobStore(path.join(blocker, 'blobs'));
    const input = await loadFinalizeInput(j.path);
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const err = await finalizeRecording(input, { blobStore: broken }).catch(e => e);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore); // no fd leaked on failure
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect(err.message).toContain(blocker);
    expect(fs.readFileSync(j.path).equals(before)).toBe(true);
    const res = await finalizeRecording(await loadFinalizeInput(j.path), { blobStore: store });
    expect(decodeOggOpus(await readBlob(store, res.storageKey)).samples).toBe(
      Math.max(userSpeech.length, otherSpeech.length),
    );
    expect(fs.existsSync(j.path)).toBe(false);
  });

  it('encode speed: one minute of stereo speech', async () => {
    const j = await CallJournal.create(journals, { callId: 'speed', channels: twoParties('pcm16') });
    const n = 60 * RATE;
    sendFrames(j, 1, loopTo(userSpeech, n), 0, 'pcm16');
    sendFrames(j, 0, loopTo(otherSpeech, n), 0, 'pcm16');
    await j.end({ endedBy: 'bye' });
    const input = await loadFinalizeInput(j.path);
    for (const complexity of [0, 5]) {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const res = await finalizeRecording(input, {
        blobStore: store,
        storageKey: `speed-${complexity}.opus`,
        opus: { complexity },
        deleteJournal: false,
      });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const cpuMsPerCallSecond = (cpu.user + cpu.system) / 1000 / 60;
      // eslint-disable-next-line no-console
      console.log(
        `complexity ${complexity}: 60 s stereo in ${s.toFixed(2)} s = ${(60 / s).toFixed(0)}x real time, ` +
          `${cpuMsPerCallSecond.toFixed(2)} ms CPU per call-second, ` +
          `${res.bytes} bytes = ${((res.bytes / 60) * 3600 / 1e6).toFixed(2)} MB/hour (continuous speech)`,
      );
      expect(res.bytes * 60).toBeLessThanOrEqual(7.2e6);
    }
  }, 120_000);
});
