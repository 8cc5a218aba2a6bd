import { decodeOggOpus, OggOpusWriter, OPUS_PRE_SKIP_48K } from './opusFile';
import { readOggPages, OGG_BOS, OGG_EOS } from './ogg';
import { bestCorrelation, channel, loopTo, requireAudioTools, synthSpeech } from './__testUtils__/speech';

function interleave(l: Int16Array, r: Int16Array): Int16Array {
  const out = new Int16Array(l.length * 2);
  for (let i = 0; i < l.length; i++) {
    out[2 * i] = l[i];
    out[2 * i + 1] = r[i];
  }
  return out;
}

describe('Ogg/Opus writer', () => {
  beforeAll(() => requireAudioTools());

  it('encodes stereo speech at 16 kbit/s that decodes back to the same speech and duration', () => {
    const a = synthSpeech('Good morning, I would like to buy five hundred shares of the fund at the close.');
    const b = synthSpeech('Confirmed, five hundred at the close. Anything else today?', 'en-gb');
    const n = Math.max(a.length, b.length);
    const left = loopTo(a, n);
    const right = loopTo(b, n);
    const writer = new OggOpusWriter({ complexity: 5, serial: 42, tags: { CALL_ID: 'abc' } });
    const pages: Buffer[] = [];
    // odd chunk sizes: the writer must re-frame into 20 ms frames
    const pcm = interleave(left, right);
    for (let i = 0; i < pcm.length; i += 2 * 333) pages.push(...writer.write(pcm.subarray(i, i + 2 * 333)));
    pages.push(...writer.end());
    const file = Buffer.concat(pages);

    const parsed = readOggPages(file);
    expect(parsed[0].flags & OGG_BOS).toBeTruthy();
    expect(parsed[0].body.subarray(0, 8).toString()).toBe('OpusHead');
    expect(parsed[1].body.subarray(0, 8).toString()).toBe('OpusTags');
    expect(parsed[parsed.length - 1].flags & OGG_EOS).toBeTruthy();
    expect(parsed[parsed.length - 1].granule).toBe(BigInt(OPUS_PRE_SKIP_48K + n * 6));

    const decoded = decodeOggOpus(file);
    expect(decoded.channels).toBe(2);
    expect(decoded.inputSampleRate).toBe(8000);
    expect(decoded.tags.CALL_ID).toBe('abc');
    expect(decoded.samples).toBe(n);
    const l = bestCorrelation(left, channel(decoded.pcm, 0));
    const r = bestCorrelation(right, channel(decoded.pcm, 1));
    expect(l.value).toBeGreaterThan(0.8);
    expect(r.value).toBeGreaterThan(0.8);
    expect(Math.abs(l.lag)).toBeLessThanOrEqual(8); // pre-skip removed: channels are time-aligned
    // audio pages only (the two header pages are a constant ~100 bytes per file)
    const audioBytes = file.length - parsed[0].body.length - parsed[1].body.length - 2 * 28;
    const bitsPerSecond = (audioBytes * 8) / (n / 8000);
    expect(bitsPerSecond).toBeLessThanOrEqual(16000);
  });

  it('rejects an invalid complexity', () => {
    expect(() => new OggOpusWriter({ complexity: 11 })).toThrow(/complexity/);
  });

  it('writes a valid empty stream', () => {
    const w = new OggOpusWriter();
    const decoded = decodeOggOpus(Buffer.concat(w.end()));
    expect(decoded.samples).toBe(0);
  });
});
