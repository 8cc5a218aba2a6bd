/*
 * MP3 encoding (LAME, via @breezystack/lamejs) with an ID3v2.3 tag.
 */
import fs from 'node:fs';
import { StereoPcm, upsample } from './pcm';

interface Mp3EncoderInstance {
  encodeBuffer(left: Int16Array, right?: Int16Array): Uint8Array;
  flush(): Uint8Array;
}
interface LameModule {
  Mp3Encoder: new (
    channels: number,
    sampleRate: number,
    kbps: number,
  ) => Mp3EncoderInstance;
}

let lame: LameModule | undefined;

/**
 * @breezystack/lamejs ships an ES module and, for `require`, an IIFE bundle that only
 * declares a global `lamejs`; evaluate that bundle once and keep its exports.
 */
function lameModule(): LameModule {
  if (!lame) {
    const file = require.resolve('@breezystack/lamejs');
    const code = fs.readFileSync(file, 'utf8');
    // eslint-disable-next-line no-new-func
    lame = new Function(`${code};\nreturn lamejs;`)() as LameModule;
    if (typeof lame.Mp3Encoder !== 'function') {
      throw new Error(`${file} did not define lamejs.Mp3Encoder`);
    }
  }
  return lame;
}

/** MPEG-1/2 Layer III sample rates; 8 kHz (MPEG-2.5) input is upsampled to 16 kHz. */
const MP3_RATES = new Set([16000, 22050, 24000, 32000, 44100, 48000]);

export interface Mp3Tags {
  /** TIT2 */
  title?: string;
  /** TPE1 */
  artist?: string;
  /** TPE2 */
  albumArtist?: string;
  /** TDRC, e.g. 2026-11-25T10:30:00 */
  recordingTime?: string;
  /** COMM */
  comment?: string;
}

function syncsafe(n: number): Buffer {
  return Buffer.from([
    (n >> 21) & 0x7f,
    (n >> 14) & 0x7f,
    (n >> 7) & 0x7f,
    n & 0x7f,
  ]);
}

function frame(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.write(id, 0, 'latin1');
  header.writeUInt32BE(body.length, 4); // ID3v2.3: plain size
  return Buffer.concat([header, body]);
}

/** Text as UTF-16 with BOM (encoding 1), what every ID3v2.3 reader understands. */
function utf16(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

/** An ID3v2.3 tag with the given text frames and comment. */
export function id3v2Tag(tags: Mp3Tags): Buffer {
  const frames: Buffer[] = [];
  const text = (id: string, v?: string) => {
    if (v) frames.push(frame(id, Buffer.concat([Buffer.from([1]), utf16(v)])));
  };
  text('TIT2', tags.title);
  text('TPE1', tags.artist);
  text('TPE2', tags.albumArtist);
  // TDRC is ID3v2.4; v2.3 readers use TYER/TIME but most accept TDRC too: write both
  text('TDRC', tags.recordingTime);
  if (tags.recordingTime) text('TYER', tags.recordingTime.slice(0, 4));
  if (tags.comment) {
    frames.push(
      frame(
        'COMM',
        Buffer.concat([
          Buffer.from([1]),
          Buffer.from('eng', 'latin1'),
          utf16(''),
          Buffer.from([0, 0]),
          utf16(tags.comment),
        ]),
      ),
    );
  }
  const body = Buffer.concat(frames);
  const header = Buffer.concat([
    Buffer.from('ID3', 'latin1'),
    Buffer.from([3, 0, 0]),
    syncsafe(body.length),
  ]);
  return Buffer.concat([header, body]);
}

export interface Mp3Result {
  mp3: Buffer;
  /** Audio duration in ms. */
  durationMs: number;
  /** Encoding time in ms (for the speed figure). */
  encodeMs: number;
}

/** Stereo MP3 (constant bitrate) of two channels, with an ID3v2 tag in front. */
export function encodeMp3(
  pcm: StereoPcm,
  tags: Mp3Tags,
  kbps: number = 32,
): Mp3Result {
  const started = performance.now();
  let { left, right, sampleRate } = pcm;
  if (!MP3_RATES.has(sampleRate)) {
    const factor = Math.ceil(16000 / sampleRate);
    if (sampleRate * factor !== 16000) {
      throw new Error(
        `cannot encode MP3 from ${sampleRate} Hz audio (expected 8000 or an MPEG rate)`,
      );
    }
    left = upsample(left, factor);
    right = upsample(right, factor);
    sampleRate = 16000;
  }
  const encoder = new (lameModule().Mp3Encoder)(2, sampleRate, kbps);
  const chunks: Buffer[] = [id3v2Tag(tags)];
  const block = 1152 * 16;
  for (let i = 0; i < left.length; i += block) {
    const out = encoder.encodeBuffer(
      left.subarray(i, i + block),
      right.subarray(i, i + block),
    );
    if (out.length) chunks.push(Buffer.from(out));
  }
  const tail = encoder.flush();
  if (tail.length) chunks.push(Buffer.from(tail));
  return {
    mp3: Buffer.concat(chunks),
    durationMs: Math.round((left.length * 1000) / sampleRate),
    encodeMs: performance.now() - started,
  };
}

/** One MPEG audio frame header, as decoded by readMp3Frames. */
export interface Mp3FrameInfo {
  version: 1 | 2 | 2.5;
  layer: number;
  bitrateKbps: number;
  sampleRate: number;
  channelMode: 'stereo' | 'joint-stereo' | 'dual-channel' | 'mono';
  samples: number;
  length: number;
}

const BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

/**
 * Walks the MPEG frames of an MP3 file (after its ID3v2 tag): a check that the file is
 * valid Layer III and what it contains.
 */
export function readMp3Frames(file: Buffer): {
  id3Bytes: number;
  frames: Mp3FrameInfo[];
  durationMs: number;
} {
  let pos = 0;
  if (file.subarray(0, 3).toString('latin1') === 'ID3') {
    const size =
      (file[6] << 21) | (file[7] << 14) | (file[8] << 7) | file[9];
    pos = 10 + size;
  }
  const id3Bytes = pos;
  const frames: Mp3FrameInfo[] = [];
  let samples = 0;
  let rate = 0;
  while (pos + 4 <= file.length) {
    const h = file.readUInt32BE(pos);
    if ((h & 0xffe00000) >>> 0 !== 0xffe00000) {
      throw new Error(`no MPEG frame sync at byte ${pos}`);
    }
    const versionBits = (h >>> 19) & 3;
    const layerBits = (h >>> 17) & 3;
    const bitrateIndex = (h >>> 12) & 0xf;
    const rateIndex = (h >>> 10) & 3;
    const padding = (h >>> 9) & 1;
    const mode = (h >>> 6) & 3;
    if (versionBits === 1 || layerBits !== 1 || rateIndex === 3 || bitrateIndex === 0 || bitrateIndex === 15) {
      throw new Error(`invalid Layer III frame header at byte ${pos}`);
    }
    const version = ({ 3: 1, 2: 2, 0: 2.5 } as const)[versionBits as 0 | 2 | 3];
    const bitrateKbps = (version === 1 ? BITRATES_V1_L3 : BITRATES_V2_L3)[bitrateIndex];
    const sampleRate = RATES[versionBits][rateIndex];
    const frameSamples = version === 1 ? 1152 : 576;
    const length = Math.floor(((frameSamples / 8) * bitrateKbps * 1000) / sampleRate) + padding;
    frames.push({
      version,
      layer: 3,
      bitrateKbps,
      sampleRate,
      channelMode: (['stereo', 'joint-stereo', 'dual-channel', 'mono'] as const)[mode],
      samples: frameSamples,
      length,
    });
    samples += frameSamples;
    rate = sampleRate;
    pos += length;
  }
  return { id3Bytes, frames, durationMs: rate ? (samples * 1000) / rate : 0 };
}
