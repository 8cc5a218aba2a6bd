/*
 * Ogg bitstream framing (RFC 3533): a page writer and a page reader.
 *
 * Page layout: "OggS", version 0, header type flags, granule position (int64 LE),
 * bitstream serial number, page sequence number, CRC32 of the whole page computed
 * with the checksum field zeroed (polynomial 0x04C11DB7, no reflection, initial value 0,
 * no final xor), number of segments, segment (lacing) table, payload.
 */

/** Header type flag: the page continues a packet started on the previous page. */
export const OGG_CONTINUED = 0x01;
/** Header type flag: first page of the logical bitstream. */
export const OGG_BOS = 0x02;
/** Header type flag: last page of the logical bitstream. */
export const OGG_EOS = 0x04;

const CAPTURE = Buffer.from('OggS', 'ascii');
const HEADER_SIZE = 27;
const MAX_SEGMENTS = 255;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) {
      r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    }
    table[i] = r >>> 0;
  }
  return table;
})();

/** The Ogg CRC32 (polynomial 0x04C11DB7, MSB first, init 0, no final xor). */
export function oggCrc32(data: Uint8Array, initial = 0): number {
  let crc = initial >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ data[i]) & 0xff]) >>> 0;
  }
  return crc >>> 0;
}

/** One packet queued for a page, possibly split across pages. */
interface PendingPacket {
  data: Buffer;
  /** Granule position after this packet (-1n: none). */
  granule: bigint;
}

/**
 * Packs packets of one logical bitstream into Ogg pages.
 *
 * `writePacket` queues a packet; complete pages are returned by `writePacket`
 * (when the lacing table is full) and by `flush` (forces out everything queued,
 * used to put headers on pages of their own and to end pages at a chosen
 * duration). `flush(true)` marks the last page end-of-stream.
 */
export class OggPageWriter {
  private sequence = 0;
  private queue: PendingPacket[] = [];
  /** bytes of queue[0] already emitted on previous pages */
  private headOffset = 0;
  private bosWritten = false;
  private eosWritten = false;

  constructor(readonly serial: number) {
    if (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff) {
      throw new RangeError(`Ogg serial number must be a uint32, got ${serial}`);
    }
  }

  get pagesWritten(): number {
    return this.sequence;
  }

  /** Queue a packet; returns any pages that became full. */
  writePacket(packet: Uint8Array, granule: bigint): Buffer[] {
    if (this.eosWritten) {
      throw new Error('Ogg stream already ended (EOS page written)');
    }
    this.queue.push({ data: Buffer.from(packet), granule });
    const pages: Buffer[] = [];
    while (this.segmentsQueued() >= MAX_SEGMENTS) {
      pages.push(this.buildPage(false, true));
    }
    return pages;
  }

  /** Emit all queued packets as pages. `eos` marks the final page. */
  flush(eos = false): Buffer[] {
    const pages: Buffer[] = [];
    while (this.queue.length > 0) {
      const last = this.segmentsQueued() <= MAX_SEGMENTS;
      pages.push(this.buildPage(eos && last, false));
    }
    if (eos && !this.eosWritten) {
      // nothing was queued: an empty EOS page still ends the stream cleanly
      pages.push(this.buildPage(true, false));
    }
    return pages;
  }

  private segmentsQueued(): number {
    let n = 0;
    this.queue.forEach((p, i) => {
      const len = p.data.length - (i === 0 ? this.headOffset : 0);
      n += Math.floor(len / 255) + 1;
    });
    return n;
  }

  private buildPage(eos: boolean, onlyFull: boolean): Buffer {
    const lacing: number[] = [];
    const parts: Buffer[] = [];
    let granule = -1n;
    let flags = 0;
    if (this.headOffset > 0) flags |= OGG_CONTINUED;
    if (!this.bosWritten) {
      flags |= OGG_BOS;
      this.bosWritten = true;
    }
    while (this.queue.length > 0 && lacing.length < MAX_SEGMENTS) {
      const p = this.queue[0];
      const remaining = p.data.length - this.headOffset;
      const segsNeeded = Math.floor(remaining / 255) + 1;
      const room = MAX_SEGMENTS - lacing.length;
      if (segsNeeded <= room) {
        for (let s = 0; s < segsNeeded - 1; s++) lacing.push(255);
        lacing.push(remaining % 255);
        parts.push(p.data.subarray(this.headOffset));
        granule = p.granule;
        this.queue.shift();
        this.headOffset = 0;
      } else {
        // packet continues on the next page: fill this page with 255-byte segments
        for (let s = 0; s < room; s++) lacing.push(255);
        parts.push(p.data.subarray(this.headOffset, this.headOffset + room * 255));
        this.headOffset += room * 255;
        break;
      }
      if (onlyFull && lacing.length >= MAX_SEGMENTS) break;
    }
    if (eos) {
      flags |= OGG_EOS;
      this.eosWritten = true;
    }
    const body = Buffer.concat(parts);
    const page = Buffer.alloc(HEADER_SIZE + lacing.length + body.length);
    CAPTURE.copy(page, 0);
    page[4] = 0;
    page[5] = flags;
    page.writeBigInt64LE(granule, 6);
    page.writeUInt32LE(this.serial, 14);
    page.writeUInt32LE(this.sequence++, 18);
    page.writeUInt32LE(0, 22);
    page[26] = lacing.length;
    Buffer.from(lacing).copy(page, HEADER_SIZE);
    body.copy(page, HEADER_SIZE + lacing.length);
    page.writeUInt32LE(oggCrc32(page), 22);
    return page;
  }
}

export interface OggPage {
  offset: number;
  flags: number;
  granule: bigint;
  serial: number;
  sequence: number;
  segments: number[];
  body: Buffer;
}

export class OggFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OggFormatError';
  }
}

/** Parse and CRC-check every page of an Ogg file. Throws OggFormatError on damage. */
export function readOggPages(file: Buffer): OggPage[] {
  const pages: OggPage[] = [];
  let pos = 0;
  while (pos < file.length) {
    if (pos + HEADER_SIZE > file.length) {
      throw new OggFormatError(`truncated Ogg page header at byte ${pos}`);
    }
    if (!file.subarray(pos, pos + 4).equals(CAPTURE)) {
      throw new OggFormatError(`missing OggS capture pattern at byte ${pos}`);
    }
    if (file[pos + 4] !== 0) {
      throw new OggFormatError(`unsupported Ogg version ${file[pos + 4]} at byte ${pos}`);
    }
    const nseg = file[pos + 26];
    const segments = Array.from(file.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + nseg));
    const bodyLen = segments.reduce((a, b) => a + b, 0);
    const end = pos + HEADER_SIZE + nseg + bodyLen;
    if (end > file.length) {
      throw new OggFormatError(`truncated Ogg page at byte ${pos}`);
    }
    const page = Buffer.from(file.subarray(pos, end));
    const storedCrc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    const crc = oggCrc32(page);
    if (crc !== storedCrc) {
      throw new OggFormatError(
        `Ogg page CRC mismatch at byte ${pos}: stored ${storedCrc.toString(16)}, computed ${crc.toString(16)}`,
      );
    }
    pages.push({
      offset: pos,
      flags: file[pos + 5],
      granule: file.readBigInt64LE(pos + 6),
      serial: file.readUInt32LE(pos + 14),
      sequence: file.readUInt32LE(pos + 18),
      segments,
      body: Buffer.from(file.subarray(pos + HEADER_SIZE + nseg, end)),
    });
    pos = end;
  }
  return pages;
}

export interface OggPacket {
  data: Buffer;
  /** granule position of the page on which the packet ends */
  pageGranule: bigint;
  /** true when this packet is the last one finishing on its page */
  lastOnPage: boolean;
}

/** Reassemble the packets of a single logical bitstream from its pages. */
export function readOggPackets(pages: OggPage[]): OggPacket[] {
  const packets: OggPacket[] = [];
  let partial: Buffer[] = [];
  for (const page of pages) {
    let off = 0;
    if (!(page.flags & OGG_CONTINUED) && partial.length > 0) {
      throw new OggFormatError(`page ${page.sequence} drops an unfinished packet`);
    }
    const finishing: Buffer[] = [];
    for (const seg of page.segments) {
      partial.push(page.body.subarray(off, off + seg));
      off += seg;
      if (seg < 255) {
        finishing.push(Buffer.concat(partial));
        partial = [];
      }
    }
    finishing.forEach((data, i) =>
      packets.push({ data, pageGranule: page.granule, lastOnPage: i === finishing.length - 1 }),
    );
  }
  if (partial.length > 0) {
    throw new OggFormatError('stream ends inside a packet');
  }
  return packets;
}
