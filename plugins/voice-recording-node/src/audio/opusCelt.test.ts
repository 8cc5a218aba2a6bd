/*
 * The CELT layer of the Opus writer (layer 'celt', libopus RESTRICTED_LOWDELAY): its 40/60 ms
 * packets hold 2/3 frames of 20 ms (code 3), framed for the two-stream packet; the header's
 * pre-skip, the granule positions and the timeline are those of the SILK layer, to the sample.
 */
import { DEFAULT_OPUS_BITRATES, OggOpusWriter, decodeOggOpus, selfDelimited, splitMultistreamPacket, OPUS_PRE_SKIP_48K } from './opusFile';
import { readOggPackets, readOggPages } from './ogg';
import { OPUS_APPLICATION_RESTRICTED_LOWDELAY, createOpusEncoder, mvrOpusAddon } from './opusCodec';

const RATE = 8000;

/** mono test speech: a vowel-like burst (140 Hz with harmonics, 30 ms rises) in [from, to) seconds */
function burst(seconds: number, bursts: Array<[number, number]>, seed = 1): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  let x = seed;
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    let v = 0;
    for (const [a, b] of bursts) {
      if (t >= a && t < b) {
        const env = Math.min(1, (t - a) / 0.03, (b - t) / 0.03);
        const f0 = 120 + 20 * seed;
        v += env * 6000 * (Math.sin(2 * Math.PI * f0 * t) + 0.5 * Math.sin(2 * Math.PI * 3 * f0 * t) + 0.3 * Math.sin(2 * Math.PI * 7 * f0 * t));
      }
    }
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = Math.round(v + ((x / 2 ** 32) * 2 - 1) * 20);
  }
  return out;
}

function stereo(left: Int16Array, right: Int16Array): Int16Array {
  const out = new Int16Array(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

function channel(pcm: Int16Array, c: number): Int16Array {
  const out = new Int16Array(pcm.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = pcm[2 * i + c];
  return out;
}

/** correlation of x and y with y shifted by `lag` samples */
function correlationAt(x: Int16Array, y: Int16Array, lag: number): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = Math.max(0, -lag); i < x.length && i + lag < y.length; i++) {
    const a = x[i];
    const b = y[i + lag];
    xy += a * b;
    xx += a * a;
    yy += b * b;
  }
  return xy / Math.sqrt(xx * yy || 1);
}

/** the lag (-16..16 samples) at which y follows x best */
function bestLag(x: Int16Array, y: Int16Array): number {
  let best = 0;
  for (let lag = -16; lag <= 16; lag++) if (correlationAt(x, y, lag) > correlationAt(x, y, best)) best = lag;
  return best;
}

/** samples (48 kHz) of one Opus stream packet, from its TOC (RFC 6716 3.1) */
function packetSamples48(p: Buffer): number {
  const config = p[0] >> 3;
  let frame48: number;
  if (config < 12) frame48 = [480, 960, 1920, 2880][config % 4];
  else if (config < 16) frame48 = [480, 960][config % 2];
  else frame48 = [120, 240, 480, 960][config % 4];
  const code = p[0] & 3;
  let frames = 2; // codes 1 and 2
  if (code === 0) frames = 1;
  else if (code === 3) frames = p[1] & 0x3f;
  return frames * frame48;
}

function encode(pcm: Int16Array, options: ConstructorParameters<typeof OggOpusWriter>[0]) {
  const writer = new OggOpusWriter({ serial: 5, complexity: 0, bitrate: 16000, ...options });
  const file = Buffer.concat([...writer.write(pcm), ...writer.end()]);
  return { writer, file };
}

describe('Ogg/Opus writer, CELT layer', () => {
  const left = burst(3, [[0.2, 1.1], [1.9, 2.6]], 1);
  const right = burst(3, [[0.9, 1.7]], 2);
  const pcm = stereo(left, right);
  const implementations = mvrOpusAddon() ? (['wasm', 'native'] as const) : (['wasm'] as const);
  /** 12 s of voiced sound on both sides, never silent (a continuous signal) */
  const continuous = stereo(burst(12, [[0, 12]], 1), burst(12, [[0, 12]], 2));

  it.each(implementations)('%s: 60 ms packets of three CELT frames, exact duration and the SILK layer timeline', implementation => {
    const celt = encode(pcm, { layer: 'celt', frameMs: 60, implementation });
    expect(celt.writer.layer).toBe('celt');
    expect(celt.writer.frameMs).toBe(60);
    const pages = readOggPages(celt.file);
    const packets = readOggPackets(pages).slice(2);
    expect(packets.length).toBe(Math.ceil((3 * RATE + OPUS_PRE_SKIP_48K / 6) / 480));
    expect(pages[pages.length - 1].granule).toBe(BigInt(OPUS_PRE_SKIP_48K + 3 * RATE * 6));
    for (const p of packets) {
      const streams = splitMultistreamPacket(p.data, 2);
      for (const s of streams) expect(packetSamples48(s)).toBe(2880);
    }
    // a speech packet of each stream is CELT (TOC config 16..31), three frames (code 3)
    const speech = splitMultistreamPacket(packets[8].data, 2)[0];
    expect(speech[0] >> 3).toBeGreaterThanOrEqual(16);
    expect(speech[0] & 3).toBe(3);
    expect(speech[1] & 0x3f).toBe(3);

    const decoded = decodeOggOpus(celt.file);
    expect(decoded.samples).toBe(3 * RATE);
    const silk = decodeOggOpus(encode(pcm, { layer: 'silk', frameMs: 60, implementation }).file);
    for (const c of [0, 1]) {
      const input = c ? right : left;
      // aligned to the input as SILK is: the lookahead difference is made up at the start
      const celtLag = bestLag(input, channel(decoded.pcm, c));
      const silkLag = bestLag(input, channel(silk.pcm, c));
      expect(Math.abs(celtLag)).toBeLessThanOrEqual(1);
      expect(Math.abs(silkLag)).toBeLessThanOrEqual(1);
      expect(correlationAt(input, channel(decoded.pcm, c), 0)).toBeGreaterThan(0.8);
    }
  });

  it('silence skipped: 1-byte packets of 60 ms (SILK TOC: no one-frame CELT packet lasts 60 ms), timeline exact', () => {
    const { writer, file } = encode(pcm, { layer: 'celt', frameMs: 60, skipSilence: true });
    expect(writer.frameStats.skipped[0]).toBeGreaterThan(5);
    expect(writer.frameStats.skipped[1]).toBeGreaterThan(10);
    const packets = readOggPackets(readOggPages(file)).slice(2);
    let dtx = 0;
    for (const p of packets) {
      for (const s of splitMultistreamPacket(p.data, 2)) {
        expect(packetSamples48(s)).toBe(2880);
        if (s.length === 1) dtx++;
      }
    }
    expect(dtx).toBe(writer.frameStats.skipped[0] + writer.frameStats.skipped[1]);
    const decoded = decodeOggOpus(file);
    expect(decoded.samples).toBe(3 * RATE);
    expect(correlationAt(left, channel(decoded.pcm, 0), 0)).toBeGreaterThan(0.8);
    expect(correlationAt(right, channel(decoded.pcm, 1), 0)).toBeGreaterThan(0.8);
  });

  it('20 and 40 ms frames; a bit rate above 32 kbit/s per stream keeps 60 ms (CELT packets are framed whatever their frame count)', () => {
    for (const frameMs of [20, 40] as const) {
      const { writer, file } = encode(pcm, { layer: 'celt', frameMs });
      expect(writer.frameMs).toBe(frameMs);
      expect(decodeOggOpus(file).samples).toBe(3 * RATE);
    }
    const high = encode(pcm, { layer: 'celt', frameMs: 60, bitrate: 96000 });
    expect(high.writer.frameMs).toBe(60);
    expect(decodeOggOpus(high.file).samples).toBe(3 * RATE);
  });

  it('self-delimited framing of code 3 packets (CBR, VBR, padding) splits back to the same frames', () => {
    const f = (n: number, v: number) => Buffer.alloc(n, v);
    const toc = (20 << 3) | 3; // CELT NB 20 ms, code 3
    const cases: Array<{ packet: Buffer; frames: Buffer[] }> = [
      // VBR, 3 frames of 5, 300 and 7 bytes (a two-byte length), no padding
      { packet: Buffer.concat([Buffer.from([toc, 0x83, 5, 252, 12]), f(5, 1), f(300, 2), f(7, 3)]), frames: [f(5, 1), f(300, 2), f(7, 3)] },
      // CBR, 3 frames of 4 bytes, 2 bytes of padding
      { packet: Buffer.concat([Buffer.from([toc, 0x43, 2]), f(4, 4), f(4, 5), f(4, 6), f(2, 0)]), frames: [f(4, 4), f(4, 5), f(4, 6)] },
    ];
    for (const { packet, frames } of cases) {
      const delimited = selfDelimited(packet);
      const last = Buffer.from([(16 << 3) | 1, 9]); // any one-frame packet as the last stream
      const [first, second] = splitMultistreamPacket(Buffer.concat([delimited, last]), 2);
      expect(second).toEqual(last);
      // the standalone packet: code 3, VBR, the same frames in order
      expect(first[0]).toBe(toc);
      expect(first[1]).toBe(0x80 | frames.length);
      expect(first.subarray(first.length - frames.reduce((a, x) => a + x.length, 0))).toEqual(Buffer.concat(frames));
    }
    expect(() => selfDelimited(Buffer.from([toc, 0x03, 1]))).toThrow(/does not hold its 3 frames/);
    expect(() => selfDelimited(Buffer.from([toc]))).toThrow(/frame count/);
    // code 1 (two equal frames) and 2 (two frames) become code 3 of the same frames
    for (const two of [Buffer.from([(20 << 3) | 1, 1, 2]), Buffer.from([(20 << 3) | 2, 1, 7, 8, 9])]) {
      const [first] = splitMultistreamPacket(Buffer.concat([selfDelimited(two), Buffer.from([(16 << 3) | 1, 9])]), 2);
      expect(first[0]).toBe((20 << 3) | 3);
      expect(first[1]).toBe(0x82);
      expect(first.subarray(3)).toEqual(two.subarray(two[0] & 1 ? 1 : 2));
    }
    expect(() => selfDelimited(Buffer.from([(20 << 3) | 1, 1, 2, 3]))).toThrow(/two equal frames/);
  });

  it('the writer codes SILK unless told; a wrong layer is refused by name; CELT defaults to its own bit rate', () => {
    expect(new OggOpusWriter({ serial: 1 }).layer).toBe('silk');
    expect(() => new OggOpusWriter({ serial: 1, layer: 'hybrid' as 'silk' })).toThrow(/layer must be 'silk' or 'celt', got "hybrid"/);
    expect(DEFAULT_OPUS_BITRATES).toEqual({ silk: 15000, celt: 18800 });
    // without a bit rate the CELT writer takes 18800 bit/s: as large as one told so, larger than one at SILK's 15000
    const size = (o: ConstructorParameters<typeof OggOpusWriter>[0]) => {
      const w = new OggOpusWriter({ serial: 5, complexity: 0, frameMs: 60, layer: 'celt', ...o });
      return Buffer.concat([...w.write(continuous), ...w.end()]).length;
    };
    expect(size({})).toBe(size({ bitrate: 18800 }));
    expect(size({})).toBeGreaterThan(size({ bitrate: 15000 }));
  });

  it.each(implementations)('%s: CELT in unconstrained VBR: a continuous signal stays below the target (constrained VBR goes above it)', implementation => {
    const mono = channel(continuous, 0);
    const frames = Math.floor(mono.length / 480); // 60 ms each
    const bytes = (vbrConstraint: boolean) => {
      const enc = createOpusEncoder(
        { sampleRate: RATE, bitrate: 9400, complexity: 0, application: OPUS_APPLICATION_RESTRICTED_LOWDELAY, vbrConstraint },
        implementation,
      );
      let n = 0;
      for (let f = 0; f < frames; f++) n += enc.encode(mono.subarray(f * 480, (f + 1) * 480)).length;
      enc.delete();
      return n;
    };
    const seconds = frames * 0.06;
    const unconstrained = (bytes(false) * 8) / seconds;
    const constrained = (bytes(true) * 8) / seconds;
    // eslint-disable-next-line no-console
    console.log(`${implementation}: CELT at 9400 bit/s per stream, continuous: unconstrained ${unconstrained.toFixed(0)}, constrained ${constrained.toFixed(0)} bit/s`);
    expect(unconstrained).toBeLessThan(9400);
    expect(constrained).toBeGreaterThan(unconstrained * 1.05);
    // and the writer codes CELT so: its file (Ogg framing included) stays under 18.8 kbit/s
    const { file } = encode(continuous, { layer: 'celt', frameMs: 60, bitrate: 18800, implementation });
    expect((file.length * 8) / (continuous.length / 2 / RATE)).toBeLessThan(18800);
  });
});
