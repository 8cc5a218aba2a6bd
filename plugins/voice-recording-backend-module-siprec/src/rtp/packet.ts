/** An RTP packet (RFC 3550 §5.1). `payload` excludes padding and extension. */
export interface RtpPacket {
  version: number;
  padding: boolean;
  extension?: { profile: number; data: Buffer };
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  payload: Buffer;
}

export class RtpParseError extends Error {
  constructor(readonly reason: string) {
    super(`RTP: ${reason}`);
    this.name = 'RtpParseError';
  }
}

/**
 * True for RTCP multiplexed on the RTP port (RFC 5761 §4): version 2 and the
 * second byte (marker + PT) in 200..204 (SR, RR, SDES, BYE, APP); also 205..207
 * (RTPFB, PSFB, XR), which RTP payload types 77..79 would collide with.
 */
export function isRtcpPacket(buf: Buffer): boolean {
  if (buf.length < 4 || buf[0] >> 6 !== 2) return false;
  return buf[1] >= 200 && buf[1] <= 207;
}

/** Parses an RTP packet; throws RtpParseError on anything malformed. */
export function parseRtpPacket(buf: Buffer): RtpPacket {
  if (buf.length < 12) throw new RtpParseError(`packet too short (${buf.length} bytes)`);
  const version = buf[0] >> 6;
  if (version !== 2) throw new RtpParseError(`unsupported version ${version}`);
  const padding = (buf[0] & 0x20) !== 0;
  const hasExtension = (buf[0] & 0x10) !== 0;
  const cc = buf[0] & 0x0f;
  const marker = (buf[1] & 0x80) !== 0;
  const payloadType = buf[1] & 0x7f;
  let offset = 12 + cc * 4;
  if (buf.length < offset) throw new RtpParseError('CSRC list truncated');
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(buf.readUInt32BE(12 + i * 4));
  let extension: RtpPacket['extension'];
  if (hasExtension) {
    if (buf.length < offset + 4) throw new RtpParseError('extension header truncated');
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const end = offset + 4 + words * 4;
    if (buf.length < end) throw new RtpParseError('extension truncated');
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }
  let end = buf.length;
  if (padding) {
    const pad = buf[buf.length - 1];
    if (pad === 0 || offset + pad > buf.length) throw new RtpParseError(`bad padding length ${pad}`);
    end -= pad;
  }
  return {
    version,
    padding,
    extension,
    marker,
    payloadType,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    payload: buf.subarray(offset, end),
  };
}

/** Serialises an RTP packet (for tests and tools); padding is added when requested. */
export function serializeRtpPacket(
  p: Omit<RtpPacket, 'version' | 'padding' | 'csrcs'> & { csrcs?: number[]; padTo?: number },
): Buffer {
  const csrcs = p.csrcs ?? [];
  const ext = p.extension;
  const extLen = ext ? 4 + Math.ceil(ext.data.length / 4) * 4 : 0;
  const bodyLen = 12 + csrcs.length * 4 + extLen + p.payload.length;
  const pad = p.padTo && bodyLen % p.padTo ? p.padTo - (bodyLen % p.padTo) : 0;
  const buf = Buffer.alloc(bodyLen + pad);
  buf[0] = 0x80 | (pad ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  buf[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  buf.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  buf.writeUInt32BE(p.timestamp >>> 0, 4);
  buf.writeUInt32BE(p.ssrc >>> 0, 8);
  let o = 12;
  for (const c of csrcs) {
    buf.writeUInt32BE(c >>> 0, o);
    o += 4;
  }
  if (ext) {
    buf.writeUInt16BE(ext.profile, o);
    buf.writeUInt16BE((extLen - 4) / 4, o + 2);
    ext.data.copy(buf, o + 4);
    o += extLen;
  }
  p.payload.copy(buf, o);
  if (pad) buf[buf.length - 1] = pad;
  return buf;
}
