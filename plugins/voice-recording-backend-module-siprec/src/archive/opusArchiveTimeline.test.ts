/*
 * The archive's timeline with the recorder's Opus settings (the default: CELT at 18800
 * bit/s; and SILK at 15000; 60 ms frames, silence skipped), on a spoken conversation: both ways of producing the Opus file (at the
 * call's end from the journal, and in the background from the lossless WAV) last exactly
 * the call's duration, decode to the same audio (within 0.5 % of the waveform), keep the lossless path's peak envelope,
 * and their decoded waveform stays within the tolerance the portal allows today.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CompressionOpusSettings,
  DEFAULT_COMPRESSION_OPUS,
  OPUS_PRE_SKIP_48K,
  decodeOggOpus,
  decodePeaks,
  inThreadOggOpusEncoding,
  transcodeWavToOpus,
} from '@mvr/plugin-voice-recording-node';
import { createHash } from 'node:crypto';
import { CallJournal } from '../capture/CallJournal';
import { finalizeRecording, loadFinalizeInput } from '../capture/finalize';
import { readOggPackets, readOggPages } from '../audio/ogg';
import { decodeAlaw, encodeAlaw } from '../codecs';
import { LocalFileBlobStore } from '../storage/BlobStore';
import { buildConversation } from './__testUtils__/conversationAudio';

const RATE = 8000;
const FRAME = 160;
/** the recorder's default settings (CELT), and SILK as `opus.layer: silk` configures it */
const SETTINGS: Record<'default (celt)' | 'silk', Required<CompressionOpusSettings>> = {
  'default (celt)': DEFAULT_COMPRESSION_OPUS,
  silk: { ...DEFAULT_COMPRESSION_OPUS, layer: 'silk', bitrate: 15000 },
};

async function readBlob(
  store: LocalFileBlobStore,
  key: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** the portal's waveform: `points` maxima of |sample| / 32768 per channel */
function waveform(
  pcm: Int16Array,
  channels: number,
  c: number,
  points: number,
): number[] {
  const n = pcm.length / channels;
  const out: number[] = [];
  for (let p = 0; p < points; p++) {
    let m = 0;
    for (
      let i = Math.floor((p * n) / points);
      i < Math.floor(((p + 1) * n) / points);
      i++
    )
      m = Math.max(m, Math.abs(pcm[i * channels + c]));
    out.push(m / 32768);
  }
  return out;
}

describe('Opus archive timeline with silence skipped', () => {
  let dir: string;
  let store: LocalFileBlobStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-opus-timeline-'));
    store = new LocalFileBlobStore(path.join(dir, 'blobs'), {
      minFreeBytes: 0,
    });
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(SETTINGS) as Array<keyof typeof SETTINGS>)('%s: call-end and background Opus: exact duration, same audio, the lossless peaks, the waveform within tolerance', async settings => {
    const RECORDER = SETTINGS[settings];
    const layer = RECORDER.layer;
    const conv = buildConversation({
      seconds: 25,
      seed: 4,
      cacheDir: path.join(dir, 'speech'),
    });
    const user = encodeAlaw(conv.left);
    const other = encodeAlaw(conv.right);
    // the other party's RTP starts 0.7 s late, 300 ms of it is lost, and the call ends 0.43 s after the audio
    const otherStart = 5600;
    const lost = (f: number) => f >= 400 && f < 415;
    const total = conv.left.length + 3440;
    const journal = async (callId: string) => {
      const j = await CallJournal.create(path.join(dir, 'journal'), {
        callId,
        channels: [
          { index: 0, role: 'other', encoding: 'pcma', label: 'b_leg' },
          { index: 1, role: 'recorded', encoding: 'pcma', label: 'a_leg' },
        ],
      });
      for (let f = 0; (f + 1) * FRAME <= user.length; f++)
        j.appendAudio(1, f * FRAME, user.subarray(f * FRAME, (f + 1) * FRAME));
      for (
        let f = 0;
        otherStart + (f + 1) * FRAME <= total &&
        (f + 1) * FRAME <= other.length;
        f++
      ) {
        if (!lost(f))
          j.appendAudio(
            0,
            otherStart + f * FRAME,
            other.subarray(f * FRAME, (f + 1) * FRAME),
          );
      }
      await j.end({ endedBy: 'bye', durationSamples: total });
      return loadFinalizeInput(j.path);
    };
    const decodeG711 = (_law: 'pcmu' | 'pcma', bytes: Uint8Array) =>
      decodeAlaw(bytes);

    const wav = await finalizeRecording(await journal('lossless'), {
      blobStore: store,
      format: 'wav-g711',
      storageKey: 'lossless.wav',
    });
    const opus = await finalizeRecording(await journal('call-end'), {
      blobStore: store,
      format: 'opus',
      storageKey: 'call-end.opus',
      opus: RECORDER,
      decodeG711,
    });
    const wavBytes = await readBlob(store, 'lossless.wav');
    const background = await transcodeWavToOpus(
      store,
      {
        sourceKey: 'lossless.wav',
        expectedSha256: createHash('sha256').update(wavBytes).digest('hex'),
        targetKey: 'background.opus',
        ...RECORDER,
      },
      inThreadOggOpusEncoding,
    );
    expect(wav.durationMs).toBe(Math.round((total * 1000) / RATE));
    expect(opus.durationMs).toBe(wav.durationMs);
    expect(background.seconds).toBe(total / RATE);

    // the lossless timeline: what the WAV holds
    const lossless = decodeAlaw(wavBytes.subarray(wavBytes.length - total * 2));
    const files = {
      'call-end': await readBlob(store, 'call-end.opus'),
      background: await readBlob(store, 'background.opus'),
    };
    const decoded: Record<string, Int16Array> = {};
    for (const [name, file] of Object.entries(files)) {
      // the last granule: the call's duration exactly, after the pre-skip
      const pages = readOggPages(file);
      expect(pages[pages.length - 1].granule).toBe(
        BigInt(OPUS_PRE_SKIP_48K + total * 6),
      );
      // coded by the layer asked for: CELT packets have TOC configurations 16-31, SILK's 0-11
      const celtPackets = readOggPackets(pages)
        .slice(2)
        .filter(p => p.data[0] >> 3 >= 16).length;
      expect(celtPackets > 0).toBe(layer === 'celt');
      const d = decodeOggOpus(file);
      expect(d.samples).toBe(total);
      decoded[name] = d.pcm;
      // the portal's waveform of the decoded Opus against the lossless one (ConversationsService.waveform.test.ts: < 0.03)
      for (const c of [0, 1]) {
        const want = waveform(lossless, 2, c, 500);
        const got = waveform(d.pcm, 2, c, 500);
        const meanDiff =
          got.reduce((s, v, k) => s + Math.abs(v - want[k]), 0) / want.length;
        expect(meanDiff).toBeLessThan(0.03);
      }
    }
    // both paths encode the same timeline (up to the gaps: zeros in the journal's render,
    // A-law idle ±8 in the WAV) with the same settings: the same audio
    for (const c of [0, 1]) {
      const a = waveform(decoded.background, 2, c, 500);
      const b = waveform(decoded['call-end'], 2, c, 500);
      expect(
        a.reduce((s, v, k) => s + Math.abs(v - b[k]), 0) / a.length,
      ).toBeLessThan(0.005);
    }

    // the peak envelope is the lossless timeline's, whichever file is stored
    const peaks = await readBlob(store, 'lossless.wav.peaks');
    expect((await readBlob(store, 'call-end.opus.peaks')).equals(peaks)).toBe(
      true,
    );
    expect(background.peaksCopied).toBe(true);
    expect((await readBlob(store, 'background.opus.peaks')).equals(peaks)).toBe(
      true,
    );
    expect(decodePeaks(peaks).totalSamples).toBe(total);
  }, 60_000);
});
