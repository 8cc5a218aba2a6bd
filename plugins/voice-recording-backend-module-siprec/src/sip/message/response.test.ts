import { inviteFixtures } from '../../__fixtures__/siprecInvites';
import { SipParseError } from './errors';
import { parseNameAddr } from './headers';
import { SipRequest, SipResponse } from './message';
import { parseSipMessage } from './parse';
import { buildParseErrorResponse, buildResponse, defaultToTag } from './response';
import { serializeSipMessage } from './serialize';

const invite = parseSipMessage(inviteFixtures[1].wire) as SipRequest; // two Via lines, compact

describe('buildResponse', () => {
  it('copies Via (all, in order), From, To, Call-ID, CSeq and adds a To tag', () => {
    const r = buildResponse(invite, 200, 'OK');
    expect(r.headers.getLines('Via')).toEqual(invite.headers.getLines('Via'));
    expect(r.headers.get('From')).toBe(invite.headers.get('From'));
    expect(r.headers.get('Call-ID')).toBe(invite.headers.get('Call-ID'));
    expect(r.headers.get('CSeq')).toBe('1 INVITE');
    const to = parseNameAddr(r.headers.get('To')!);
    expect(to.params.get('tag')).toBe(defaultToTag(invite));
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
  });

  it('uses the same tag for every response to the same request, or the given one', () => {
    const a = buildResponse(invite, 180, 'Ringing').headers.get('To');
    const b = buildResponse(invite, 200, 'OK').headers.get('To');
    expect(a).toBe(b);
    expect(buildResponse(invite, 200, 'OK', undefined, undefined, { toTag: 'mine' }).headers.get('To')).toMatch(/;tag=mine$/);
  });

  it('does not add a tag to 100 Trying, and keeps an existing tag', () => {
    expect(buildResponse(invite, 100, 'Trying').headers.get('To')).toBe(invite.headers.get('To'));
    const inDialog = parseSipMessage(
      Buffer.from(
        serializeSipMessage(invite)
          .toString('latin1')
          .replace('To: <sip:recorder@192.0.2.20>', 'To: <sip:recorder@192.0.2.20>;tag=existing'),
        'latin1',
      ),
    ) as SipRequest;
    expect(buildResponse(inDialog, 200, 'OK').headers.get('To')).toBe(
      '<sip:recorder@192.0.2.20>;tag=existing',
    );
  });

  it('adds extra headers and body, with a correct Content-Length on the wire', () => {
    const r = buildResponse(invite, 200, 'OK', { 'Content-Type': 'application/sdp', Supported: ['timer', 'siprec'], 'Content-Length': '999' }, 'v=0\r\n');
    const wire = serializeSipMessage(r).toString();
    expect(wire).toMatch(/^SIP\/2.0 200 OK\r\n/);
    expect(wire).toContain('Content-Length: 5\r\n');
    expect(wire).not.toContain('999');
    expect(r.headers.getLines('Supported')).toEqual(['timer', 'siprec']);
    const parsed = parseSipMessage(Buffer.from(wire)) as SipResponse;
    expect(parsed.body.toString()).toBe('v=0\r\n');
  });

  it('copies Record-Route only on 1xx/2xx above 100', () => {
    const rr = parseSipMessage(
      Buffer.from(
        serializeSipMessage(invite).toString('latin1').replace('CSeq: 1 INVITE', 'CSeq: 1 INVITE\r\nRecord-Route: <sip:p1;lr>\r\nRecord-Route: <sip:p2;lr>'),
        'latin1',
      ),
    ) as SipRequest;
    expect(buildResponse(rr, 200, 'OK').headers.getLines('Record-Route')).toEqual(['<sip:p1;lr>', '<sip:p2;lr>']);
    expect(buildResponse(rr, 488, 'Not Acceptable Here').headers.getLines('Record-Route')).toEqual([]);
  });
});

describe('buildParseErrorResponse', () => {
  it('answers 400 with the parse reason when the request can be addressed', () => {
    const bad = Buffer.from(
      'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:f@h>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: nope\r\n\r\n',
    );
    let err: SipParseError | undefined;
    try {
      parseSipMessage(bad);
    } catch (e) {
      err = e as SipParseError;
    }
    const r = buildParseErrorResponse(err!)!;
    expect(r.status).toBe(400);
    expect(r.reason).toBe('Bad Content-Length');
    expect(r.headers.get('Call-ID')).toBe('c1');
  });

  it('returns undefined when the message cannot be addressed (or is an ACK)', () => {
    expect(buildParseErrorResponse(new SipParseError('Bad start line'))).toBeUndefined();
    expect(
      buildParseErrorResponse(
        new SipParseError('x', undefined, { startLine: 'ACK sip:a@b SIP/2.0', headers: [] }),
      ),
    ).toBeUndefined();
    expect(
      buildParseErrorResponse(
        new SipParseError('x', undefined, { startLine: 'INVITE sip:a@b SIP/2.0', headers: [{ name: 'Via', value: 'SIP/2.0/UDP h' }] }),
      ),
    ).toBeUndefined();
  });
});
