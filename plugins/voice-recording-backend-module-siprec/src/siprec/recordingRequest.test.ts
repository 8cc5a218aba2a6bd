import { inviteFixtures } from '../__fixtures__/siprecInvites';
import { SipRequest, parseSipMessage } from '../sip/message';
import { parseRecordingMetadata } from './metadata';
import { RecordingBodyError, detectSiprec, extractRecordingBody, isSiprecInvite } from './recordingRequest';
import { buildSdpAnswer } from './sdpAnswer';

function withHeaders(lines: string[], method = 'INVITE'): SipRequest {
  return parseSipMessage(
    Buffer.from(
      [`${method} sip:srs@h SIP/2.0`, 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@h>;tag=1', 'To: <sip:srs@h>', 'Call-ID: x', `CSeq: 1 ${method}`, ...lines, 'Content-Length: 0', '', ''].join('\r\n'),
    ),
  ) as SipRequest;
}

describe('detectSiprec', () => {
  it.each<[string, string[], boolean, string[]]>([
    ['Require: siprec', ['Require: siprec'], true, ['require']],
    ['Require list with siprec', ['Require: timer, SIPREC'], true, ['require']],
    ['Contact +sip.src', ['Contact: <sip:a@h>;+sip.src'], true, ['contact']],
    ['Contact ;src', ['Contact: <sip:a@h>;src'], true, ['contact']],
    ['Contact with a space after ;', ['Contact: <sip:a@h>; +sip.src'], true, ['contact']],
    ['Contact src among params, compact m', ['m: <sip:a@h>;expires=60 ; +sip.src;x=1'], true, ['contact']],
    ['both', ['Require: siprec', 'Contact: <sip:a@h>;+sip.src'], true, ['require', 'contact']],
    ['src inside the URI is not the feature tag', ['Contact: <sip:a@h;src>'], false, []],
    ['Supported: siprec alone is not enough', ['Supported: siprec', 'Contact: <sip:a@h>'], false, []],
    ['plain', ['Contact: <sip:a@h>'], false, []],
    ['unparseable Contact falls back to a text check', ['Contact: "broken <sip:a@h>;+sip.src'], true, ['contact']],
  ])('%s', (_n, headers, siprec, signals) => {
    const d = detectSiprec(withHeaders(headers));
    expect(d.siprec).toBe(siprec);
    expect(d.signals).toEqual(signals);
  });

  it('only INVITEs are recording requests', () => {
    expect(isSiprecInvite(withHeaders(['Require: siprec'], 'OPTIONS'))).toBe(false);
    expect(isSiprecInvite(withHeaders(['Require: siprec']))).toBe(true);
  });
});

describe('extractRecordingBody', () => {
  it('throws RecordingBodyError on a multipart body without its boundary', () => {
    const req = withHeaders(['Content-Type: multipart/mixed;boundary=nope']);
    req.body = Buffer.from('--other\r\n\r\nx\r\n--other--');
    expect(() => extractRecordingBody(req)).toThrow(RecordingBodyError);
  });

  it('takes a single-part rs-metadata body (UPDATE)', () => {
    const req = withHeaders(['Content-Type: application/rs-metadata'], 'UPDATE');
    req.body = Buffer.from('<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>');
    const body = extractRecordingBody(req);
    expect(body.sdp).toBeUndefined();
    expect(body.metadata).toBe('<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>');
  });

  it('returns nothing for an empty body', () => {
    expect(extractRecordingBody(withHeaders([]))).toEqual({ otherParts: [] });
  });
});

describe('SIPREC INVITE shapes end to end (message → body → metadata → answer)', () => {
  it.each(inviteFixtures.map(f => [f.name, f] as const))('%s', (_n, f) => {
    const req = parseSipMessage(f.wire) as SipRequest;
    expect(isSiprecInvite(req)).toBe(f.expect.siprec);
    const body = extractRecordingBody(req);
    expect(body.sdp).toMatch(/^v=0/);
    expect(body.metadata !== undefined).toBe(f.expect.hasMetadata);
    let port = 20000;
    const { sdp, streams } = buildSdpAnswer(body.sdp!, { allocate: () => ({ address: '10.9.9.9', port: (port += 2) }), origin: { sessionId: 1, sessionVersion: 1 } });
    expect(streams).toHaveLength(f.expect.streams);
    expect(streams.filter(s => s.label).map(s => s.label)).toEqual(f.expect.labels);
    expect(streams.every(s => s.accepted && s.answerDirection === 'recvonly')).toBe(true);
    expect(sdp.match(/^m=/gm)).toHaveLength(f.expect.streams);
  });

  it.each(inviteFixtures.filter(f => f.expect.hasMetadata).map(f => [f.name, f] as const))('%s: metadata describes every SDP label', (_n, f) => {
    const meta = parseRecordingMetadata(extractRecordingBody(parseSipMessage(f.wire) as SipRequest).metadata!);
    expect(meta.participants).toHaveLength(f.expect.participants!);
    expect(f.expect.labels.every(label => meta.streams.some(s => s.label === label))).toBe(true);
  });

  it('style B ignores the extra vendor part', () => {
    const body = extractRecordingBody(parseSipMessage(inviteFixtures[1].wire) as SipRequest);
    expect(body.otherParts.map(p => p.contentType)).toEqual(['application/x-vendor-info']);
  });
});
