import {
  ALAW_DECODE_TABLE,
  ULAW_DECODE_TABLE,
  alawToLinear,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from './g711';

describe('G.711 μ-law', () => {
  it.each([
    [0x00, -32124], [0x80, 32124], [0xff, 0], [0x7f, 0], [0xfe, 8], [0x7e, -8],
    [0xf0, 120], [0xef, 132], [0x8f, 16764], [0x0f, -16764], [0x9f, 8316], [0x70, -120],
  ])('decodes 0x%s to the ITU value', (code, value) => {
    expect(ulawToLinear(code)).toBe(value);
  });

  it('round-trips all 256 codes (0x7F, negative zero, encodes as 0xFF)', () => {
    for (let c = 0; c < 256; c++) {
      expect(linearToUlaw(ULAW_DECODE_TABLE[c])).toBe(c === 0x7f ? 0xff : c);
    }
  });

  it('encodes known values and clips', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
    expect(linearToUlaw(-8)).toBe(0x7e);
    expect(linearToUlaw(8)).toBe(0xfe);
  });

  it('is monotonic and within quantisation error', () => {
    let prev = -Infinity;
    for (let s = -32768; s < 32768; s += 7) {
      const d = ulawToLinear(linearToUlaw(s));
      expect(d).toBeGreaterThanOrEqual(prev);
      prev = d;
      expect(Math.abs(d - Math.max(-32124, Math.min(32124, s)))).toBeLessThanOrEqual(Math.max(8, Math.abs(s) / 16 + 8));
    }
  });
});

describe('G.711 A-law', () => {
  it.each([
    [0xd5, 8], [0x55, -8], [0xaa, 32256], [0x2a, -32256], [0xd4, 24], [0x54, -24],
    [0xc5, 264], [0x45, -264], [0xfa, 1008], [0x7a, -1008],
  ])('decodes 0x%s to the ITU value', (code, value) => {
    expect(alawToLinear(code)).toBe(value);
  });

  it('round-trips all 256 codes', () => {
    for (let c = 0; c < 256; c++) expect(linearToAlaw(ALAW_DECODE_TABLE[c])).toBe(c);
  });

  it('encodes known values and clips', () => {
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(-1)).toBe(0x55);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it('buffer helpers match the sample functions', () => {
    const pcm = Int16Array.from({ length: 1000 }, (_, i) => Math.round(20000 * Math.sin(i / 7)));
    const a = encodeAlaw(pcm);
    const u = encodeUlaw(pcm);
    expect([...decodeAlaw(a)]).toEqual([...a].map(alawToLinear));
    expect([...decodeUlaw(u)]).toEqual([...u].map(ulawToLinear));
  });
});
