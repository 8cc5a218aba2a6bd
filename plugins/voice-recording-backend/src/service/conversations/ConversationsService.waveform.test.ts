import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  LocalFileBlobStore,
  OggOpusWriter,
  PeakEnvelopeBuilder,
  encodePeaks,
  writeWavPcm16Stereo,
} from '@mvr/plugin-voice-recording-node';
import { AudioDerivations, deriveAudio } from '../../audio/derivations';
import { decodeStored } from '../../audio/pcm';
import { computePeaks } from '../../audio/waveform';
import { AuditRecorder } from '../AuditRecorder';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import { ConversationsService } from './ConversationsService';

const RATE = 8000;

/** A call-like stereo signal: bursts of tone of changing loudness, pauses, different per channel. */
function party(seconds: number, seed: number): Int16Array {
  const out = new Int16Array(seconds * RATE);
  let amp = 0;
  for (let i = 0; i < out.length; i++) {
    if (i % 1200 === 0) amp = (i / 1200) % 4 === seed % 4 ? 0 : ((i * 31 + seed * 7919) % 30000) + 1000;
    out[i] = Math.round(amp * Math.sin((i * 2 * Math.PI * (300 + 90 * seed)) / RATE));
  }
  return out;
}

function envelopeOf(left: Int16Array, right: Int16Array): Buffer {
  const b = new PeakEnvelopeBuilder({ sampleRate: RATE, samplesPerPeak: 80, channels: 2 });
  for (let i = 0; i < left.length; i += RATE) b.push([left.subarray(i, i + RATE), right.subarray(i, i + RATE)]);
  return encodePeaks(b.finish());
}

describe('ConversationsService.waveform', () => {
  let dir: string;
  let blobs: LocalFileBlobStore;
  let derivations: AudioDerivations;
  let service: ConversationsService;
  let runs: jest.SpyInstance;
  let warnings: string[];
  const left = party(20, 1);
  const right = party(20, 2);

  const conversation = (id: string, storageKey: string, format: string): Conversation => ({
    id,
    number: '+32470123456',
    userRef: 'user:default/bob',
    otherParty: '+32475111222',
    startedAt: '2026-01-01T10:00:00Z',
    durationMs: 20_000,
    sipCallId: id,
    participants: [],
    metadata: {},
    dtmf: [],
    state: 'finished',
    storageKey,
    sha256: `${id}0000000000000000`,
    format,
    captureSource: 'siprec',
    createdAt: '2026-01-01T10:00:20Z',
    updatedAt: '2026-01-01T10:00:20Z',
  });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mvr-waveform-'));
    blobs = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
    derivations = new AudioDerivations({ threads: 0 });
    runs = jest.spyOn(derivations, 'run');
    warnings = [];
    const logger = mockServices.rootLogger({ level: 'none' });
    jest.spyOn(logger, 'warn').mockImplementation((m: string) => {
      warnings.push(m);
    });
    service = new ConversationsService({
      store: {} as ConversationSearchStore,
      blobs,
      audit: {} as AuditRecorder,
      logger,
      timeZone: 'UTC',
      derivations,
    });
  });
  afterEach(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('WAV with a .peaks sidecar: answered from the envelope without decoding, equal to the decode path', async () => {
    const c = conversation('wav1', 'recordings/test/wav1.wav', 'wav-pcm16');
    await blobs.put(c.storageKey!, writeWavPcm16Stereo(left, right, RATE), { contentType: 'audio/wav' });
    await blobs.put(`${c.storageKey}.peaks`, envelopeOf(left, right), { contentType: 'application/octet-stream' });

    for (const points of [10, 200, 1000, 2000]) {
      const fast = await service.waveform(c, points);
      expect(runs).not.toHaveBeenCalled();
      const pcm = decodeStored(writeWavPcm16Stereo(left, right, RATE), 'wav', RATE);
      const want = computePeaks(pcm, points);
      expect(fast.durationMs).toBe(20_000);
      expect(fast.channels.map((ch: any) => [ch.label, ch.party, ch.role])).toEqual([
        ['left', '+32470123456', 'recorded'],
        ['right', '+32475111222', 'other'],
      ]);
      fast.channels.forEach((ch: any, i: number) => {
        expect(ch.peaks).toHaveLength(want[i].length);
        // 160000 samples: bucket boundaries on 10 ms spans for these point counts
        const worst = Math.max(...want[i].map((w, k) => Math.abs(w - ch.peaks[k])));
        expect(worst).toBeLessThanOrEqual(1 / 255);
      });
    }
    // finer than the 10 ms spans (10000 points for 20 s = 2 ms each): decoded
    const fine = await service.waveform(c, 10000);
    expect(runs).toHaveBeenCalledTimes(1);
    expect(fine.channels[0].peaks).toHaveLength(10000);
    expect(warnings).toEqual([]);
  });

  it('Opus with a .peaks sidecar: no decode, close to the decoded (lossy) audio; without it the decode path still works', async () => {
    const c = conversation('opus1', 'recordings/test/opus1.opus', 'opus');
    const writer = new OggOpusWriter({ sampleRate: RATE, channels: 2 });
    const stereo = new Int16Array(left.length * 2);
    for (let i = 0; i < left.length; i++) {
      stereo[2 * i] = left[i];
      stereo[2 * i + 1] = right[i];
    }
    const ogg = Buffer.concat([...writer.write(stereo), ...writer.end()]);
    await blobs.put(c.storageKey!, ogg, { contentType: 'audio/ogg; codecs=opus' });
    await blobs.put(`${c.storageKey}.peaks`, envelopeOf(left, right), { contentType: 'application/octet-stream' });

    const fast = await service.waveform(c, 500);
    expect(runs).not.toHaveBeenCalled();
    // what the decode path computes from the same file
    const slow = deriveAudio(ogg, { op: 'waveform', kind: 'opus', points: 500 });
    expect(slow.durationMs).toBe(fast.durationMs);
    fast.channels.forEach((ch: any, i: number) => {
      const decoded = slow.peaks![i];
      expect(ch.peaks).toHaveLength(decoded.length);
      const meanDiff = decoded.reduce((s, v, k) => s + Math.abs(v - ch.peaks[k]), 0) / decoded.length;
      expect(meanDiff).toBeLessThan(0.03); // Opus is lossy: peaks of the decoded audio wobble
    });

    // no sidecar: decoded on the derivation worker, as before
    const plain = conversation('opus2', 'recordings/test/opus2.opus', 'opus');
    await blobs.put(plain.storageKey!, ogg, { contentType: 'audio/ogg; codecs=opus' });
    runs.mockClear();
    const w = await service.waveform(plain, 100);
    expect(runs).toHaveBeenCalledTimes(1);
    expect(w.channels[0].peaks).toHaveLength(100);
    expect(warnings).toEqual([]); // absent is normal (older recordings, demo data)
  });

  it('a corrupt or mismatched sidecar: falls back to decoding with a warning, never an error', async () => {
    const c = conversation('wav2', 'recordings/test/wav2.wav', 'wav-pcm16');
    const wav = writeWavPcm16Stereo(left, right, RATE);
    await blobs.put(c.storageKey!, wav, { contentType: 'audio/wav' });
    const env = envelopeOf(left, right);
    env[40] ^= 0xff; // a flipped peak byte: CRC mismatch
    await blobs.put(`${c.storageKey}.peaks`, env, { contentType: 'application/octet-stream' });
    const w = await service.waveform(c, 200);
    expect(runs).toHaveBeenCalledTimes(1);
    expect(w.channels[0].peaks).toEqual(computePeaks(decodeStored(wav, 'wav', RATE), 200)[0]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/conversation wav2: peak envelope unusable.*wav2\.wav\.peaks: CRC-32 mismatch/);

    // an envelope of another length than the recording (stale): not used
    const c3 = conversation('wav3', 'recordings/test/wav3.wav', 'wav-pcm16');
    await blobs.put(c3.storageKey!, wav, { contentType: 'audio/wav' });
    await blobs.put(`${c3.storageKey}.peaks`, envelopeOf(left.subarray(0, 8000), right.subarray(0, 8000)), {
      contentType: 'application/octet-stream',
    });
    await service.waveform(c3, 200);
    expect(runs).toHaveBeenCalledTimes(2);
    expect(warnings[1]).toMatch(/covers 1000 ms, the recording 20000 ms/);
  });
});
