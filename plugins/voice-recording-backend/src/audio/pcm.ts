/*
 * Stored audio -> 16-bit PCM, two channels (left = recorded user, right = other party).
 * Stored formats: Ogg/Opus of the recorder (two mono streams, mapping family 1) or a
 * WAV file (PCM16, A-law or mu-law).
 */
import {
  decodeOggOpus,
  deinterleaveBytes,
  deinterleavePcm16,
  OpusSampleRate,
  readWav,
  writeWavPcm16Stereo,
} from '@mvr/plugin-voice-recording-node';

export interface StereoPcm {
  sampleRate: number;
  left: Int16Array;
  right: Int16Array;
}

export type StoredKind = 'opus' | 'wav';

/** Which decoder a stored format needs; undefined when unsupported. */
export function storedKind(format: string | undefined): StoredKind | undefined {
  const f = (format ?? '').toLowerCase();
  if (f.includes('opus') || f.includes('ogg')) return 'opus';
  if (f.includes('wav')) return 'wav';
  return undefined;
}

/** ITU-T G.711 A-law sample to linear 16-bit. */
export function alawToLinear(a: number): number {
  let v = a ^ 0x55;
  const sign = v & 0x80;
  const exponent = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  v = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return sign ? v : -v;
}

/** ITU-T G.711 mu-law sample to linear 16-bit. */
export function mulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const sign = v & 0x80;
  const exponent = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

function split(pcm: Int16Array, channels: number): [Int16Array, Int16Array] {
  const n = Math.floor(pcm.length / channels);
  const left = new Int16Array(n);
  const right = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    left[i] = pcm[i * channels];
    right[i] = channels > 1 ? pcm[i * channels + 1] : pcm[i * channels];
  }
  return [left, right];
}

/**
 * Decodes stored audio. Opus is decoded at `opusRate` (libopus resamples internally):
 * 8000 for playback/waveforms, 16000 for MP3 (an MPEG-2 Layer III rate).
 */
export function decodeStored(
  file: Buffer,
  kind: StoredKind,
  opusRate: OpusSampleRate = 8000,
): StereoPcm {
  if (kind === 'opus') {
    const d = decodeOggOpus(file, opusRate);
    const [left, right] = split(d.pcm, d.channels);
    return { sampleRate: d.sampleRate, left, right };
  }
  const w = readWav(file);
  let channels: Int16Array[];
  if (w.encoding === 'pcm16') {
    channels = deinterleavePcm16(w.data, w.channels);
  } else {
    const toLinear = w.encoding === 'alaw' ? alawToLinear : mulawToLinear;
    channels = deinterleaveBytes(w.data, w.channels).map(bytes => {
      const out = new Int16Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = toLinear(bytes[i]);
      return out;
    });
  }
  return {
    sampleRate: w.sampleRate,
    left: channels[0],
    right: channels[1] ?? channels[0],
  };
}

/** 16-bit PCM stereo WAV (plays in every browser). */
export function toWavPcm16(pcm: StereoPcm): Buffer {
  return writeWavPcm16Stereo(pcm.left, pcm.right, pcm.sampleRate);
}

/** Linear-interpolation resampling by an integer factor (8 kHz WAV -> 16 kHz MP3). */
export function upsample(samples: Int16Array, factor: number): Int16Array {
  if (factor === 1) return samples;
  const out = new Int16Array(samples.length * factor);
  for (let i = 0; i < samples.length; i++) {
    const a = samples[i];
    const b = i + 1 < samples.length ? samples[i + 1] : a;
    for (let k = 0; k < factor; k++)
      out[i * factor + k] = Math.round(a + ((b - a) * k) / factor);
  }
  return out;
}
