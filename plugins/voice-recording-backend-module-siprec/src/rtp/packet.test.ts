import { RtpParseError, isRtcpPacket, parseRtpPacket, serializeRtpPacket } from './packet';

describe('RTP packet', () => {
  it('parses a minimal packet', () => {
    const buf = Buffer.from('80086a2b0001f4000badcafe', 'hex');
    const payload = Buffer.from([1, 2, 3]);
    const p = parseRtpPacket(Buffer.concat([buf, payload]));
    expect(p).toMatchObject({ version: 2, padding: false, marker: false, payloadType: 8, sequenceNumber: 0x6a2b, timestamp: 0x0001f400, ssrc: 0x0badcafe, csrcs: [] });
    expect(p.extension).toBeUndefined();
    expect([...p.payload]).toEqual([1, 2, 3]);
  });

  it('round-trips marker, CSRCs, extension and padding', () => {
    const wire = serializeRtpPacket({
      marker: true,
      payloadType: 101,
      sequenceNumber: 65535,
      timestamp: 0xffffffff,
      ssrc: 0xdeadbeef,
      csrcs: [1, 2],
      extension: { profile: 0xbede, data: Buffer.from([9, 9, 9, 9]) },
      payload: Buffer.from([7, 7, 7]),
      padTo: 8,
    });
    expect(wire.length % 8).toBe(0);
    const p = parseRtpPacket(wire);
    expect(p).toMatchObject({ marker: true, payloadType: 101, sequenceNumber: 65535, timestamp: 0xffffffff, ssrc: 0xdeadbeef, csrcs: [1, 2], padding: true });
    expect(p.extension?.profile).toBe(0xbede);
    expect([...p.extension!.data]).toEqual([9, 9, 9, 9]);
    expect([...p.payload]).toEqual([7, 7, 7]);
  });

  it.each([
    ['too short', Buffer.alloc(11, 0x80)],
    ['version 1', Buffer.from('40000000000000000000000000', 'hex')],
    ['CSRC truncated', Buffer.from('830000000000000000000000', 'hex')],
    ['extension truncated', Buffer.from('900000000000000000000000beef0004', 'hex')],
    ['padding too long', Buffer.from('a000000000000000000000000010', 'hex')],
    ['padding zero', Buffer.from('a000000000000000000000000000', 'hex')],
  ])('rejects %s with RtpParseError', (_n, buf) => {
    expect(() => parseRtpPacket(buf)).toThrow(RtpParseError);
  });

  it('detects RTCP (rtcp-mux) by packet type', () => {
    for (const pt of [200, 201, 202, 203, 204]) {
      expect(isRtcpPacket(Buffer.from([0x81, pt, 0, 1]))).toBe(true);
    }
    expect(isRtcpPacket(Buffer.from([0x80, 0x08, 0, 1]))).toBe(false); // PCMA
    expect(isRtcpPacket(Buffer.from([0x80, 0x80 | 101, 0, 1]))).toBe(false); // marker + PT 101
    expect(isRtcpPacket(Buffer.from([0x80, 0x80 | 0, 0, 1]))).toBe(false);
    expect(isRtcpPacket(Buffer.from([0x40, 200, 0, 1]))).toBe(false);
  });
});
