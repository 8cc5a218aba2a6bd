/*
 * RIFF/WAVE files: 16-bit PCM and G.711 (WAVE_FORMAT_ALAW = 6, WAVE_FORMAT_MULAW = 7,
 * 8 bits per sample, payload bytes stored exactly as received).
 */

import { decodeAlaw, decodeUlaw } from './g711';

export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_ALAW = 6;
export const WAVE_FORMAT_MULAW = 7;

export type WavEncoding = 'pcm16' | 'alaw' | 'mulaw';

const FORMAT_CODES: Record<WavEncoding, number> = {
  pcm16: WAVE_FORMAT_PCM,
  alaw: WAVE_FORMAT_ALAW,
  mulaw: WAVE_FORMAT_MULAW,
};

export interface WavFormat {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
}

function bytesPerSample(encoding: WavEncoding): number {
  return encoding === 'pcm16' ? 2 : 1;
}

/**
 * The header of a WAV file whose data chunk holds `dataBytes` bytes. Non-PCM
 * formats get the 18-byte WAVEFORMATEX (cbSize = 0) and a `fact` chunk, as the
 * RIFF spec requires for compressed formats.
 */
export function wavHeader(format: WavFormat, dataBytes: number): Buffer {
  const { encoding, channels, sampleRate } = format;
  const bps = bytesPerSample(encoding);
  const blockAlign = bps * channels;
  if (dataBytes % blockAlign !== 0) {
    throw new RangeError(`WAV data length ${dataBytes} is not a multiple of the block size ${blockAlign}`);
  }
  const pcm = encoding === 'pcm16';
  const fmtLen = pcm ? 16 : 18;
  const factLen = pcm ? 0 : 12;
  const headerLen = 12 + 8 + fmtLen + factLen + 8;
  const riffSize = headerLen - 8 + dataBytes + (dataBytes % 2);
  if (riffSize > 0xffffffff) {
    throw new RangeError(`WAV data of ${dataBytes} bytes exceeds the 4 GiB RIFF limit`);
  }
  const h = Buffer.alloc(headerLen);
  let o = h.write('RIFF', 0, 'ascii');
  o = h.writeUInt32LE(riffSize, o);
  o += h.write('WAVE', o, 'ascii');
  o += h.write('fmt ', o, 'ascii');
  o = h.writeUInt32LE(fmtLen, o);
  o = h.writeUInt16LE(FORMAT_CODES[encoding], o);
  o = h.writeUInt16LE(channels, o);
  o = h.writeUInt32LE(sampleRate, o);
  o = h.writeUInt32LE(sampleRate * blockAlign, o);
  o = h.writeUInt16LE(blockAlign, o);
  o = h.writeUInt16LE(bps * 8, o);
  if (!pcm) {
    o = h.writeUInt16LE(0, o); // cbSize
    o += h.write('fact', o, 'ascii');
    o = h.writeUInt32LE(4, o);
    o = h.writeUInt32LE(dataBytes / blockAlign, o);
  }
  o += h.write('data', o, 'ascii');
  h.writeUInt32LE(dataBytes, o);
  return h;
}

/** Interleave two equally long 16-bit channels into little-endian bytes. */
export function interleavePcm16(left: Int16Array, right: Int16Array): Buffer {
  if (left.length !== right.length) {
    throw new RangeError(`channel lengths differ: ${left.length} vs ${right.length}`);
  }
  const out = Buffer.alloc(left.length * 4);
  for (let i = 0; i < left.length; i++) {
    out.writeInt16LE(left[i], i * 4);
    out.writeInt16LE(right[i], i * 4 + 2);
  }
  return out;
}

/** Interleave two equally long 8-bit (G.711) channels, bytes unchanged. */
export function interleaveBytes(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== right.length) {
    throw new RangeError(`channel lengths differ: ${left.length} vs ${right.length}`);
  }
  const out = Buffer.alloc(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[i * 2] = left[i];
    out[i * 2 + 1] = right[i];
  }
  return out;
}

/** A complete stereo 16-bit PCM WAV file. */
export function writeWavPcm16Stereo(left: Int16Array, right: Int16Array, sampleRate: number): Buffer {
  const data = interleavePcm16(left, right);
  return Buffer.concat([wavHeader({ encoding: 'pcm16', channels: 2, sampleRate }, data.length), data]);
}

/** A complete stereo G.711 WAV file (bit-exact payload bytes). */
export function writeWavG711Stereo(
  law: 'alaw' | 'mulaw',
  left: Uint8Array,
  right: Uint8Array,
  sampleRate = 8000,
): Buffer {
  const data = interleaveBytes(left, right);
  const pad = data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([wavHeader({ encoding: law, channels: 2, sampleRate }, data.length), data, pad]);
}

export interface ParsedWav extends WavFormat {
  formatCode: number;
  bitsPerSample: number;
  /** raw data chunk bytes */
  data: Buffer;
  /** samples per channel */
  frames: number;
}

export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

/** Parse a WAV file (PCM 16-bit, A-law, μ-law). */
export function readWav(file: Buffer): ParsedWav {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let o = 12;
  let fmt: Omit<ParsedWav, 'data' | 'frames'> | undefined;
  while (o + 8 <= file.length) {
    const id = file.toString('ascii', o, o + 4);
    const len = file.readUInt32LE(o + 4);
    const body = file.subarray(o + 8, o + 8 + len);
    if (body.length < len) throw new WavFormatError(`chunk '${id}' at byte ${o} is truncated`);
    if (id === 'fmt ') {
      const formatCode = body.readUInt16LE(0);
      const encoding = (Object.keys(FORMAT_CODES) as WavEncoding[]).find(e => FORMAT_CODES[e] === formatCode);
      if (!encoding) throw new WavFormatError(`unsupported WAV format code ${formatCode}`);
      fmt = {
        formatCode,
        encoding,
        channels: body.readUInt16LE(2),
        sampleRate: body.readUInt32LE(4),
        bitsPerSample: body.readUInt16LE(14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      const frameBytes = (fmt.bitsPerSample / 8) * fmt.channels;
      return { ...fmt, data: Buffer.from(body), frames: Math.floor(body.length / frameBytes) };
    }
    o += 8 + len + (len % 2);
  }
  throw new WavFormatError('no data chunk');
}

/** Where a WAV file's audio starts, read from its first bytes (see {@link readWavHeader}). */
export interface WavHeaderInfo extends WavFormat {
  formatCode: number;
  bitsPerSample: number;
  /** byte offset of the data chunk's first byte */
  dataOffset: number;
  /** length of the data chunk as its header says */
  dataBytes: number;
}

/**
 * Reads the header of a WAV file from its first bytes, for streaming: undefined while
 * `prefix` does not reach the data chunk yet; throws WavFormatError (saying what and at
 * which byte) when the file is not a WAV this module reads.
 */
export function readWavHeader(prefix: Buffer): WavHeaderInfo | undefined {
  if (prefix.length < 12) return undefined;
  if (prefix.toString('ascii', 0, 4) !== 'RIFF' || prefix.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let o = 12;
  let fmt: Omit<WavHeaderInfo, 'dataOffset' | 'dataBytes'> | undefined;
  while (o + 8 <= prefix.length) {
    const id = prefix.toString('ascii', o, o + 4);
    const len = prefix.readUInt32LE(o + 4);
    if (id === 'data') {
      if (!fmt) throw new WavFormatError(`data chunk at byte ${o} comes before the fmt chunk`);
      return { ...fmt, dataOffset: o + 8, dataBytes: len };
    }
    if (o + 8 + len > prefix.length) return undefined; // this chunk is not all here yet
    if (id === 'fmt ') {
      if (len < 16) throw new WavFormatError(`fmt chunk at byte ${o} is ${len} bytes long, 16 at least`);
      const body = prefix.subarray(o + 8, o + 8 + len);
      const formatCode = body.readUInt16LE(0);
      const encoding = (Object.keys(FORMAT_CODES) as WavEncoding[]).find(e => FORMAT_CODES[e] === formatCode);
      if (!encoding) throw new WavFormatError(`unsupported WAV format code ${formatCode} (fmt chunk at byte ${o})`);
      const bitsPerSample = body.readUInt16LE(14);
      if (bitsPerSample !== bytesPerSample(encoding) * 8) {
        throw new WavFormatError(`${encoding} WAV with ${bitsPerSample} bits per sample (fmt chunk at byte ${o})`);
      }
      fmt = { formatCode, encoding, channels: body.readUInt16LE(2), sampleRate: body.readUInt32LE(4), bitsPerSample };
    }
    o += 8 + len + (len % 2);
  }
  return undefined;
}

/**
 * WAV sample bytes (any number of whole samples, channels interleaved) → 16-bit PCM in
 * the same order: G.711 expanded, PCM16 read little-endian.
 */
export function decodeWavSamples(encoding: WavEncoding, bytes: Uint8Array): Int16Array {
  if (encoding === 'alaw') return decodeAlaw(bytes);
  if (encoding === 'mulaw') return decodeUlaw(bytes);
  if (bytes.length % 2) throw new WavFormatError(`${bytes.length} bytes of 16-bit PCM: not whole samples`);
  const out = new Int16Array(bytes.length / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}

/** Split interleaved 16-bit PCM data into channels. */
export function deinterleavePcm16(data: Buffer, channels: number): Int16Array[] {
  const frames = Math.floor(data.length / (2 * channels));
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) out[c][i] = data.readInt16LE((i * channels + c) * 2);
  }
  return out;
}

/** Split interleaved 8-bit data into channels. */
export function deinterleaveBytes(data: Buffer, channels: number): Uint8Array[] {
  const frames = Math.floor(data.length / channels);
  const out = Array.from({ length: channels }, () => new Uint8Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) out[c][i] = data[i * channels + c];
  }
  return out;
}
