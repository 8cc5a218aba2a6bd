import { decodeOggOpus, OggOpusWriter } from './opusFile';
import { mvrOpusAddon, nativeOpusEncoder, opusWasmHeapBytes } from './opusCodec';

/** 8 kHz test signal: a gliding tone with a syllable-like envelope, different per seed */
function signal(seed: number, samples: number): Int16Array {
  const out = new Int16Array(samples * 2);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    const t = i / 8000;
    const f = 220 + 60 * seed + 80 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f) / 8000;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * (3 + seed / 10) * t);
    const v = 9000 * env * (Math.sin(phase) + 0.3 * Math.sin(3 * phase));
    out[2 * i] = Math.round(v);
    out[2 * i + 1] = Math.round(-0.7 * v);
  }
  return out;
}

function encodeAlone(pcm: Int16Array, serial: number): Buffer {
  const w = new OggOpusWriter({
    implementation: 'wasm',
    serial,
    complexity: 5,
  });
  return Buffer.concat([...w.write(pcm), ...w.end()]);
}

describe('Ogg/Opus writer on the WASM heap', () => {
  it('keeps many interleaved encoders correct while the WASM heap grows', () => {
    const samples = 8000; // 1 s per writer
    const count = 120;
    const inputs = Array.from({ length: count }, (_, k) =>
      signal(k % 17, samples),
    );
    const heapBefore = opusWasmHeapBytes();
    // create the writers one after the other while the earlier ones are already encoding:
    // each creation allocates WASM memory and may replace the heap's ArrayBuffer
    const writers: OggOpusWriter[] = [];
    const out: Buffer[][] = [];
    const chunk = 2 * 160 * 5; // 100 ms
    for (let k = 0; k < count; k++) {
      writers.push(
        new OggOpusWriter({
          implementation: 'wasm',
          serial: k + 1,
          complexity: 5,
        }),
      );
      out.push([]);
      for (let j = 0; j < writers.length; j++) {
        const from = (k - j) * chunk;
        if (from < inputs[j].length)
          out[j].push(
            ...writers[j].write(inputs[j].subarray(from, from + chunk)),
          );
      }
    }
    // finish in interleaved 100 ms steps, then end all
    for (let step = 0; step < samples / 800; step++) {
      for (let j = 0; j < count; j++) {
        const from = (count - 1 - j + 1 + step) * chunk;
        if (from < inputs[j].length)
          out[j].push(
            ...writers[j].write(inputs[j].subarray(from, from + chunk)),
          );
      }
    }
    writers.forEach((w, j) => out[j].push(...w.end()));
    expect(opusWasmHeapBytes()).toBeGreaterThan(heapBefore); // the test did grow the heap

    for (const j of [0, 1, 2, 50, count - 1]) {
      const file = Buffer.concat(out[j]);
      expect(writers[j].samplesWritten).toBe(samples);
      // libopus is deterministic: interleaving must not change a single byte
      expect(file.equals(encodeAlone(inputs[j], j + 1))).toBe(true);
      const decoded = decodeOggOpus(file);
      expect(decoded.samples).toBe(samples);
      let energy = 0;
      for (let i = 0; i < decoded.pcm.length; i++)
        energy += decoded.pcm[i] * decoded.pcm[i];
      expect(Math.sqrt(energy / decoded.pcm.length)).toBeGreaterThan(1000); // real audio, not zeros
    }
  });

  it('decodes with many decoders alive at once', () => {
    const files = Array.from({ length: 40 }, (_, k) =>
      encodeAlone(signal(k % 5, 1600), 1000 + k),
    );
    const first = files.map(f => decodeOggOpus(f));
    const again = files.map(f => decodeOggOpus(f));
    first.forEach((d, k) =>
      expect(
        Buffer.from(d.pcm.buffer).equals(Buffer.from(again[k].pcm.buffer)),
      ).toBe(true),
    );
  });
});

function correlation(a: Int16Array, b: Int16Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('Ogg/Opus writer implementations', () => {
  const input = signal(3, 16000);
  const encode = (implementation: 'wasm' | 'native') => {
    const w = new OggOpusWriter({ implementation, serial: 7 });
    const file = Buffer.concat([...w.write(input), ...w.end()]);
    return { file, used: w.implementation };
  };

  it('WASM output decodes back to the input', () => {
    const { file, used } = encode('wasm');
    expect(used).toBe('wasm');
    const decoded = decodeOggOpus(file);
    expect(decoded.samples).toBe(16000);
    expect(correlation(input, decoded.pcm)).toBeGreaterThan(0.8);
  });

  // the native builds are optional (scripts/build-native-opus.sh, @discordjs/opus): tested where present
  it('native output (when built) is the same format and decodes back to the input', () => {
    if (!mvrOpusAddon() && !nativeOpusEncoder()) return;
    const { file, used } = encode('native');
    expect(used).toBe('native');
    const decoded = decodeOggOpus(file);
    expect(decoded.samples).toBe(16000);
    expect(decoded.channels).toBe(2);
    expect(correlation(input, decoded.pcm)).toBeGreaterThan(0.8);
    const wasm = encode('wasm').file;
    // same bitrate target: sizes within 10 % of each other
    expect(Math.abs(file.length - wasm.length) / wasm.length).toBeLessThan(0.1);
  });

  it('own libopus binding (when built): its version, clear errors, reset, close', () => {
    const addon = mvrOpusAddon();
    if (!addon) return; // optional: scripts/build-native-opus.sh
    expect(addon.version()).toMatch(/^libopus \d/);
    const enc = new addon.Encoder(8000, 2048);
    enc.ctl(4002, 7500);
    const frame = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin(i / 3)));
    expect(enc.encode(frame).length).toBeGreaterThan(1);
    expect(() => enc.encode(new Float32Array(160) as unknown as Int16Array)).toThrow(/Int16Array/);
    expect(() => enc.encode(new Int16Array(77))).toThrow(/opus_encode: invalid argument/);
    expect(() => enc.ctl(99999, 1)).toThrow(/unsupported ctl/);
    enc.ctl(4028, 0); // reset
    expect(enc.encode(frame).length).toBeGreaterThan(1);
    enc.close();
    expect(() => enc.encode(frame)).toThrow(/closed/);
    expect(() => new addon.Encoder(44100, 2048)).toThrow(/opus_encoder_create: invalid argument/);
  });

  it("'native' fails clearly when the addon is missing", () => {
    if (mvrOpusAddon() || nativeOpusEncoder()) return;
    expect(() => new OggOpusWriter({ implementation: 'native' })).toThrow(
      /build-native-opus/,
    );
  });
});
