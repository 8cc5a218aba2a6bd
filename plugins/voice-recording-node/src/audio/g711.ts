/**
 * ITU-T G.711 μ-law (PCMU) and A-law (PCMA) with lookup tables: 256-entry
 * decode tables and 65536-entry encode tables built once from the standard
 * segment algorithms.
 */

function ulawDecodeSample(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

function alawDecodeSample(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else {
    t += 0x108;
    t <<= seg - 1;
  }
  return a & 0x80 ? t : -t;
}

const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]) return i;
  return ends.length;
}

function ulawEncodeSample(sample: number): number {
  let pcm = sample >> 2; // 14-bit
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > 8159) pcm = 8159;
  pcm += 0x21;
  const seg = segment(pcm, SEG_UEND);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

function alawEncodeSample(sample: number): number {
  let pcm = sample >> 3; // 13-bit
  let mask: number;
  if (pcm >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, SEG_AEND);
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | ((seg < 2 ? pcm >> 1 : pcm >> seg) & 0x0f);
  return aval ^ mask;
}

export const ULAW_DECODE_TABLE = Int16Array.from({ length: 256 }, (_, i) => ulawDecodeSample(i));
export const ALAW_DECODE_TABLE = Int16Array.from({ length: 256 }, (_, i) => alawDecodeSample(i));

let ulawEncodeTable: Uint8Array | undefined;
let alawEncodeTable: Uint8Array | undefined;

function encodeTable(kind: 'ulaw' | 'alaw'): Uint8Array {
  if (kind === 'ulaw' && ulawEncodeTable) return ulawEncodeTable;
  if (kind === 'alaw' && alawEncodeTable) return alawEncodeTable;
  const t = new Uint8Array(65536);
  const f = kind === 'ulaw' ? ulawEncodeSample : alawEncodeSample;
  for (let i = 0; i < 65536; i++) t[i] = f((i << 16) >> 16);
  if (kind === 'ulaw') ulawEncodeTable = t;
  else alawEncodeTable = t;
  return t;
}

export function ulawToLinear(code: number): number {
  return ULAW_DECODE_TABLE[code & 0xff];
}

export function alawToLinear(code: number): number {
  return ALAW_DECODE_TABLE[code & 0xff];
}

export function linearToUlaw(sample: number): number {
  return encodeTable('ulaw')[sample & 0xffff];
}

export function linearToAlaw(sample: number): number {
  return encodeTable('alaw')[sample & 0xffff];
}

/** PCMU payload → 16-bit PCM at 8 kHz. */
export function decodeUlaw(payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = ULAW_DECODE_TABLE[payload[i]];
  return out;
}

/** PCMA payload → 16-bit PCM at 8 kHz. */
export function decodeAlaw(payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = ALAW_DECODE_TABLE[payload[i]];
  return out;
}

export function encodeUlaw(pcm: Int16Array): Buffer {
  const t = encodeTable('ulaw');
  const out = Buffer.alloc(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = t[pcm[i] & 0xffff];
  return out;
}

export function encodeAlaw(pcm: Int16Array): Buffer {
  const t = encodeTable('alaw');
  const out = Buffer.alloc(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = t[pcm[i] & 0xffff];
  return out;
}
