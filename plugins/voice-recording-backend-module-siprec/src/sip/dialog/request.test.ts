import { SipRequest, parseCSeq, parseNameAddr, parseSipMessage, parseVia } from '../message';
import { Dialog } from './dialog';
import { buildInDialogRequest } from './request';

function invite(recordRoute: string[] = []): SipRequest {
  return parseSipMessage(
    Buffer.from(
      [
        'INVITE sip:srs@10.0.0.1 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKinv',
        ...recordRoute.map(r => `Record-Route: ${r}`),
        'From: "SBC" <sip:src@sbc.example.com>;tag=theirs',
        'To: <sip:srs@rec.example.com>',
        'Call-ID: call-42',
        'CSeq: 7 INVITE',
        'Contact: <sip:src@10.0.0.2:5080;transport=udp>;+sip.src',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}

const via = { transport: 'udp' as const, host: '10.0.0.1', port: 5060 };

describe('buildInDialogRequest', () => {
  it('builds a BYE of the UAS: remote target, tags swapped, own CSeq, new branch, Reason', () => {
    const d = Dialog.fromInvite(invite(), 'ours');
    const bye = buildInDialogRequest(d, 'BYE', { via, reason: { cause: 200, text: 'RTP "inactivity" timeout' } });
    expect(bye.uri).toBe('sip:src@10.0.0.2:5080;transport=udp');
    expect(parseNameAddr(bye.headers.get('From')!)).toMatchObject({ uri: 'sip:srs@rec.example.com', params: new Map([['tag', 'ours']]) });
    expect(parseNameAddr(bye.headers.get('To')!)).toMatchObject({ uri: 'sip:src@sbc.example.com', params: new Map([['tag', 'theirs']]) });
    expect(bye.headers.get('Call-ID')).toBe('call-42');
    expect(parseCSeq(bye.headers.get('CSeq')!)).toEqual({ seq: 1, method: 'BYE' });
    expect(bye.headers.get('Max-Forwards')).toBe('70');
    expect(bye.headers.get('Reason')).toBe('SIP;cause=200;text="RTP  inactivity  timeout"');
    expect(bye.headers.has('Route')).toBe(false);
    const v = parseVia(bye.headers.get('Via')!);
    expect(v).toMatchObject({ transport: 'UDP', host: '10.0.0.1', port: 5060 });
    expect(v.branch).toMatch(/^z9hG4bK[0-9a-f]{16}$/);
    const again = buildInDialogRequest(d, 'BYE', { via });
    expect(parseCSeq(again.headers.get('CSeq')!).seq).toBe(2);
    expect(parseVia(again.headers.get('Via')!).branch).not.toBe(v.branch);
  });

  it('uses the Record-Route list in order as the route set (loose routing)', () => {
    const d = Dialog.fromInvite(invite(['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>', '<sip:p3.example.com;lr>']), 'ours');
    const bye = buildInDialogRequest(d, 'BYE', { via });
    expect(bye.uri).toBe('sip:src@10.0.0.2:5080;transport=udp');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>', '<sip:p3.example.com;lr>']);
  });

  it('with a strict router first: it is the Request-URI, the remote target goes last in Route', () => {
    const d = Dialog.fromInvite(invite(['<sip:strict.example.com>', '<sip:p2.example.com;lr>']), 'ours');
    const bye = buildInDialogRequest(d, 'BYE', { via });
    expect(bye.uri).toBe('sip:strict.example.com');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:p2.example.com;lr>', '<sip:src@10.0.0.2:5080;transport=udp>']);
  });
});
