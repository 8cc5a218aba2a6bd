import { parse } from 'sdp-transform';
import { OfferedStream, SdpNegotiationError, buildSdpAnswer } from './sdpAnswer';

function offer(media: string[][], session: string[] = ['c=IN IP4 10.0.0.5']): string {
  return ['v=0', 'o=SRC 1 1 IN IP4 10.0.0.5', 's=-', ...session, 't=0 0', ...media.flat(), ''].join('\r\n');
}
const audio = (port: number, label: string, pts: string, extra: string[] = ['a=sendonly']) => [
  `m=audio ${port} RTP/AVP ${pts}`,
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:18 G729/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  `a=label:${label}`,
  ...extra,
];

function answer(sdp: string, opts: Partial<Parameters<typeof buildSdpAnswer>[1]> = {}) {
  const calls: OfferedStream[] = [];
  let port = 40000;
  const r = buildSdpAnswer(sdp, {
    allocate: s => {
      calls.push(s);
      return { address: '192.0.2.50', port: (port += 2) };
    },
    origin: { sessionId: 77, sessionVersion: 3 },
    ...opts,
  });
  return { ...r, calls, parsed: parse(r.sdp) };
}

describe('buildSdpAnswer', () => {
  it('answers every m= line in order with the same label, recvonly, our port and address', () => {
    const r = answer(offer([audio(30000, '1', '0 8 18 101'), audio(30002, '2', '0 8 18 101')]));
    expect(r.parsed.media.map(m => [m.port, String(m.label), m.direction, m.connection?.ip])).toEqual([
      [40002, '1', 'recvonly', '192.0.2.50'],
      [40004, '2', 'recvonly', '192.0.2.50'],
    ]);
    expect(r.parsed.origin).toMatchObject({ username: 'SRS', sessionId: 77, sessionVersion: 3, address: '192.0.2.50' });
    expect(r.calls.map(c => c.label)).toEqual(['1', '2']);
    expect(r.streams[0]).toMatchObject({ accepted: true, remote: { address: '10.0.0.5', port: 30000 }, codec: { payloadType: 0, name: 'PCMU', clockRate: 8000 }, telephoneEvent: { payloadType: 101, clockRate: 8000 } });
    expect(r.sdp).not.toMatch(/multipart/);
    expect(r.sdp).toMatch(/^v=0\r\n/);
  });

  it("chooses the first codec in the offerer's order that it decodes (RFC 3264 §6.1), and keeps telephone-event fmtp", () => {
    const r = answer(
      offer([audio(1, 'a', '9 0 101'), audio(3, 'b', '18 8 0 9'), audio(5, 'c', '18 0 9'), audio(7, 'd', '101 8 9')]),
    );
    // G.722 offered first is recorded wideband; G.729 (not decoded) is passed over
    expect(r.streams.map(s => s.codec?.name)).toEqual(['G722', 'PCMA', 'PCMU', 'PCMA']);
    expect(r.parsed.media[0].payloads).toBe('9 101');
    expect(r.parsed.media[0].rtp).toEqual([
      { payload: 9, codec: 'G722', rate: 8000 },
      { payload: 101, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(r.parsed.media[0].fmtp).toEqual([{ payload: 101, config: '0-16' }]);
    expect(String(r.parsed.media[1].payloads)).toBe('8');
    expect(String(r.parsed.media[2].payloads)).toBe('0');
    expect(r.parsed.media[3].payloads).toBe('8 101');
  });

  it('chooses only among the allowed codecs (codecPreference), still in the offer order', () => {
    expect(answer(offer([audio(1, 'a', '0 8 9')]), { codecPreference: ['G722', 'PCMU'] }).streams[0].codec?.name).toBe('PCMU');
    expect(answer(offer([audio(1, 'a', '0 8 9')]), { codecPreference: ['G722'] }).streams[0].codec?.name).toBe('G722');
  });

  it('uses static payload types without rtpmap', () => {
    const r = answer(offer([['m=audio 5000 RTP/AVP 0', 'a=sendonly', 'a=label:x']]));
    expect(r.streams[0].codec).toEqual({ payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1 });
  });

  it('answers inactive to inactive, port 0 to port 0, and does not allocate for port 0', () => {
    const r = answer(offer([audio(30000, '1', '8', ['a=inactive']), audio(0, '2', '8')]));
    expect(r.parsed.media.map(m => [m.port, m.direction ?? null, String(m.label)])).toEqual([[40002, 'inactive', '1'], [0, null, '2']]);
    expect(r.calls).toHaveLength(1);
    expect(r.streams[1]).toMatchObject({ accepted: false, offeredPort: 0 });
  });

  it('one mixed stream gives one m= line', () => {
    const r = answer(offer([audio(30000, 'mixed', '9 101 13', ['a=sendonly', 'a=ptime:30', 'a=rtcp-mux'])]));
    expect(r.parsed.media).toHaveLength(1);
    expect(r.streams[0]).toMatchObject({ rtcpMux: true, ptime: 30, codec: { name: 'G722' } });
    expect(r.parsed.media[0].rtcpMux).toBe('rtcp-mux');
  });

  it('reads c= at media level, or none at all', () => {
    const r = answer(offer([[...audio(30000, '1', '0'), 'c=IN IP4 10.7.7.7']], []));
    expect(r.streams[0].remote.address).toBe('10.7.7.7');
    const n = answer(offer([audio(30000, '1', '0')], []));
    expect(n.streams[0].remote.address).toBeUndefined();
  });

  it('rejects video with port 0 and keeps the audio', () => {
    const r = answer(offer([audio(30000, '1', '0'), ['m=video 30010 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=label:v']]));
    expect(r.parsed.media.map(m => [m.type, m.port])).toEqual([['audio', 40002], ['video', 0]]);
  });

  it('refuses the call with a 488 SdpNegotiationError when a stream has no decodable codec', () => {
    const sdp = offer([audio(30000, '1', '0'), audio(30002, '2', '18 101')]);
    let err: unknown;
    try {
      answer(sdp);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SdpNegotiationError);
    expect((err as SdpNegotiationError).status).toBe(488);
    expect((err as SdpNegotiationError).message).toMatch(/label 2.*G729/);
  });

  it('can reject only that stream instead', () => {
    const r = answer(offer([audio(30000, '1', '0'), audio(30002, '2', '18')]), { onUndecodable: 'reject-stream' });
    expect(r.parsed.media.map(m => m.port)).toEqual([40002, 0]);
    expect(() => answer(offer([audio(30002, '2', '18')]), { onUndecodable: 'reject-stream' })).toThrow(SdpNegotiationError);
  });

  it('refuses SRTP and offers without m= lines', () => {
    expect(() => answer(offer([['m=audio 1 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x']]))).toThrow(/RTP\/SAVP/);
    expect(() => answer(offer([]))).toThrow(SdpNegotiationError);
    expect(() => answer('garbage')).toThrow(SdpNegotiationError);
  });
});
