import { SipRequest, parseSipMessage } from '../message';
import { localContact } from './contact';

function invite(uri: string, extra: string[] = []): SipRequest {
  return parseSipMessage(
    Buffer.from(
      [
        `INVITE ${uri} SIP/2.0`,
        'Via: SIP/2.0/TLS 10.0.0.5:5061;branch=z9hG4bK-c1',
        'From: <sip:src@10.0.0.5>;tag=a',
        'To: <sip:srs@10.0.0.9>',
        'Call-ID: c1@10.0.0.5',
        'CSeq: 1 INVITE',
        ...extra,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}

const contact = (transport: 'udp' | 'tcp' | 'tls', req: SipRequest, host = '10.0.0.9') =>
  localContact({ transport, host, port: 5061, request: req });

describe('localContact', () => {
  it('names the transport for sip: requests', () => {
    const req = invite('sip:srs@10.0.0.9:5061;transport=tls', ['Contact: <sip:src@10.0.0.5:5061;transport=tls>;+sip.src']);
    expect(contact('tls', req)).toBe('<sip:srs@10.0.0.9:5061;transport=tls>');
    expect(contact('tcp', req)).toBe('<sip:srs@10.0.0.9:5061;transport=tcp>');
    expect(contact('udp', req)).toBe('<sip:srs@10.0.0.9:5061;transport=udp>');
    expect(contact('tls', req, '2001:db8::9')).toBe('<sip:srs@[2001:db8::9]:5061;transport=tls>');
  });

  it('answers sips: over TLS when the Request-URI, the top Record-Route, or (without Record-Route) the Contact is SIPS', () => {
    expect(contact('tls', invite('sips:srs@10.0.0.9:5061'))).toBe('<sips:srs@10.0.0.9:5061>');
    expect(contact('tls', invite('SIPS:srs@10.0.0.9'))).toBe('<sips:srs@10.0.0.9:5061>');
    expect(contact('tls', invite('sip:srs@10.0.0.9', ['Record-Route: <sips:sbc.example.com;lr>, <sip:p2;lr>']))).toBe('<sips:srs@10.0.0.9:5061>');
    expect(contact('tls', invite('sip:srs@10.0.0.9', ['Record-Route: <sip:sbc.example.com;lr>', 'Contact: <sips:src@10.0.0.5>']))).toBe(
      '<sip:srs@10.0.0.9:5061;transport=tls>',
    );
    expect(contact('tls', invite('sip:srs@10.0.0.9', ['Contact: "SRC" <sips:src@10.0.0.5>;+sip.src']))).toBe('<sips:srs@10.0.0.9:5061>');
    // not over UDP/TCP: a SIPS request there is not ours to upgrade
    expect(contact('tcp', invite('sips:srs@10.0.0.9'))).toBe('<sip:srs@10.0.0.9:5061;transport=tcp>');
  });
});
