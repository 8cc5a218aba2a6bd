import {
  OGG_BOS,
  OGG_CONTINUED,
  OGG_EOS,
  OggFormatError,
  OggPageWriter,
  oggCrc32,
  readOggPackets,
  readOggPages,
} from './ogg';

describe('oggCrc32', () => {
  it('is CRC-32 with polynomial 0x04C11DB7, init 0, no reflection, no final xor', () => {
    // CRC-32/POSIX (same polynomial, final xor 0xFFFFFFFF) of "123456789" is 0x765E7680
    expect(oggCrc32(Buffer.from('123456789'))).toBe((0x765e7680 ^ 0xffffffff) >>> 0);
    expect(oggCrc32(Buffer.alloc(0))).toBe(0);
  });
});

describe('OggPageWriter / readOggPages', () => {
  const sizes = [0, 1, 254, 255, 256, 510, 511, 65025, 70000, 3, 200000, 7];

  function packet(size: number, seed: number): Buffer {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7) & 0xff;
    return b;
  }

  it('round-trips packets of any size, with lacing, continuation and granules', () => {
    const w = new OggPageWriter(0x12345678);
    const pages: Buffer[] = [];
    sizes.forEach((s, i) => pages.push(...w.writePacket(packet(s, i), BigInt((i + 1) * 960))));
    pages.push(...w.flush(true));
    const file = Buffer.concat(pages);
    const parsed = readOggPages(file);
    expect(parsed[0].flags & OGG_BOS).toBeTruthy();
    expect(parsed[parsed.length - 1].flags & OGG_EOS).toBeTruthy();
    expect(parsed.every(p => p.serial === 0x12345678)).toBe(true);
    expect(parsed.map(p => p.sequence)).toEqual(parsed.map((_, i) => i));
    expect(parsed.every(p => p.segments.length <= 255)).toBe(true);
    // the 65025- and 70000-byte packets span pages: continuation flags and granule -1
    expect(parsed.some(p => p.flags & OGG_CONTINUED)).toBe(true);
    expect(parsed.some(p => p.granule === -1n)).toBe(true);
    const packets = readOggPackets(parsed);
    expect(packets.map(p => p.data.length)).toEqual(sizes);
    packets.forEach((p, i) => expect(p.data.equals(packet(sizes[i], i))).toBe(true));
    // the granule of a page is that of the last packet completed on it
    for (const p of packets.filter(x => x.lastOnPage)) {
      expect(p.pageGranule).toBe(BigInt((packets.indexOf(p) + 1) * 960));
    }
  });

  it('a packet of exactly 255 bytes gets a terminating 0-length segment', () => {
    const w = new OggPageWriter(1);
    w.writePacket(Buffer.alloc(255, 1), 1n);
    const [page] = readOggPages(Buffer.concat(w.flush(true)));
    expect(page.segments).toEqual([255, 0]);
  });

  it('detects a corrupted byte and a truncated page', () => {
    const w = new OggPageWriter(7);
    w.writePacket(Buffer.from('hello ogg'), 5n);
    const file = Buffer.concat(w.flush(true));
    const bad = Buffer.from(file);
    bad[bad.length - 2] ^= 0x01;
    expect(() => readOggPages(bad)).toThrow(/CRC mismatch at byte 0/);
    expect(() => readOggPages(file.subarray(0, file.length - 1))).toThrow(OggFormatError);
    expect(() => readOggPages(Buffer.concat([file, Buffer.from('junk')]))).toThrow(/truncated|capture/);
  });

  it('refuses packets after the EOS page', () => {
    const w = new OggPageWriter(9);
    w.flush(true);
    expect(() => w.writePacket(Buffer.alloc(1), 0n)).toThrow(/EOS/);
  });
});
