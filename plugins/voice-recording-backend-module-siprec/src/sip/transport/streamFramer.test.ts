import { inviteFixtures } from '../../__fixtures__/siprecInvites';
import { SipMessage, SipRequest, serializeSipMessage, parseSipMessage } from '../message';
import { StreamFramer } from './streamFramer';
import { ParseErrorInfo } from './types';

function collect(maxMessageSize?: number) {
  const messages: SipMessage[] = [];
  const errors: ParseErrorInfo[] = [];
  let keepAlives = 0;
  const framer = new StreamFramer({
    maxMessageSize,
    onMessage: m => messages.push(m),
    onError: e => errors.push(e),
    onKeepAlive: () => keepAlives++,
  });
  return { framer, messages, errors, keepAlives: () => keepAlives };
}

const options = Buffer.from(
  'OPTIONS sip:srs@h SIP/2.0\r\nVia: SIP/2.0/TCP c;branch=z9hG4bKo1\r\nFrom: <sip:c@h>;tag=o\r\nTo: <sip:srs@h>\r\nCall-ID: opt-1\r\nCSeq: 5 OPTIONS\r\nContent-Length: 0\r\n\r\n',
);
const invite = inviteFixtures[0].wire;
const bye = Buffer.from(
  'BYE sip:srs@h SIP/2.0\r\nv: SIP/2.0/TCP c;branch=z9hG4bKb1\r\nf: <sip:c@h>;tag=o\r\nt: <sip:srs@h>;tag=x\r\ni: opt-1\r\nCSeq: 6 BYE\r\nl: 4\r\n\r\nbody',
);
const stream = Buffer.concat([options, Buffer.from('\r\n\r\n'), invite, bye]);
const callIds = ['opt-1', '8f7a6e5d-4c3b-2a19@10.0.0.5', 'opt-1'];

describe('StreamFramer', () => {
  it('splits several messages in one chunk', () => {
    const c = collect();
    c.framer.push(stream);
    expect(c.messages.map(m => m.headers.get('Call-ID'))).toEqual(callIds);
    expect((c.messages[2] as SipRequest).body.toString()).toBe('body');
    expect(c.errors).toEqual([]);
    expect(c.framer.pending).toBe(0);
    expect(c.keepAlives()).toBe(1);
  });

  it('gives the same result for a split at every byte offset', () => {
    const expected = collect();
    expected.framer.push(stream);
    for (let i = 0; i <= stream.length; i++) {
      const c = collect();
      c.framer.push(stream.subarray(0, i));
      c.framer.push(stream.subarray(i));
      expect(c.errors).toEqual([]);
      expect(c.messages.map(m => m.headers.get('Call-ID'))).toEqual(callIds);
      expect(c.messages[1].body.equals(expected.messages[1].body)).toBe(true);
    }
  });

  it('handles a stream fed one byte at a time and three-way splits', () => {
    const c = collect();
    for (const b of stream) c.framer.push(Buffer.from([b]));
    expect(c.messages.map(m => m.headers.get('Call-ID'))).toEqual(callIds);
    for (let i = 1; i < invite.length; i += 97) {
      for (let j = i; j < invite.length; j += 131) {
        const d = collect();
        d.framer.push(invite.subarray(0, i));
        d.framer.push(invite.subarray(i, j));
        d.framer.push(invite.subarray(j));
        expect(d.messages).toHaveLength(1);
        expect(d.messages[0].body.equals(parseSipMessage(invite).body)).toBe(true);
      }
    }
  });

  it('ignores CRLF keep-alives and reports pings', () => {
    const c = collect();
    c.framer.push(Buffer.from('\r\n\r\n'));
    c.framer.push(Buffer.from('\r\n'));
    c.framer.push(Buffer.from('\r\n'));
    c.framer.push(options);
    expect(c.messages).toHaveLength(1);
    expect(c.keepAlives()).toBe(2);
  });

  it('reports a bad header with a 400 and resyncs using Content-Length', () => {
    const bad = Buffer.from(
      'INVITE sip:srs@h SIP/2.0\r\nVia: SIP/2.0/TCP c;branch=z9hG4bKbad\r\nFrom: <sip:c@h>;tag=1\r\nTo: <sip:srs@h>\r\nCall-ID: bad-1\r\nCSeq: 1 INVITE\r\nThis line is broken\r\nContent-Length: 3\r\n\r\nabc',
    );
    const c = collect();
    c.framer.push(Buffer.concat([bad, options]));
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0].fatal).toBe(false);
    expect(c.errors[0].error.reason).toBe('Bad header line');
    expect(c.errors[0].response?.status).toBe(400);
    expect(c.errors[0].response?.headers.get('Call-ID')).toBe('bad-1');
    expect(c.errors[0].raw?.length).toBe(bad.length);
    expect(c.messages.map(m => m.headers.get('Call-ID'))).toEqual(['opt-1']);
  });

  it('reports a semantically bad message (missing CSeq) with a 400-less error and continues', () => {
    const bad = Buffer.from('OPTIONS sip:srs@h SIP/2.0\r\nVia: SIP/2.0/TCP c\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n');
    const c = collect();
    c.framer.push(Buffer.concat([bad, options]));
    expect(c.errors.map(e => [e.error.reason, e.fatal, e.response])).toEqual([['Missing From header', false, undefined]]);
    expect(c.messages).toHaveLength(1);
  });

  it('is fatal when Content-Length is missing (cannot frame) and ignores further input', () => {
    const noLength = Buffer.from(options.toString().replace('Content-Length: 0\r\n', ''));
    const c = collect();
    c.framer.push(noLength);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ fatal: true });
    expect(c.errors[0].error.reason).toBe('Missing Content-Length');
    expect(c.errors[0].response?.status).toBe(400);
    expect(c.framer.closed).toBe(true);
    c.framer.push(options);
    expect(c.messages).toHaveLength(0);
  });

  it('is fatal on garbage without a parsable length', () => {
    const c = collect();
    c.framer.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(c.errors[0].fatal).toBe(true);
    expect(c.errors[0].response).toBeUndefined();
  });

  it('answers 513 to an oversized message, skips its body across chunks, then continues', () => {
    const big = parseSipMessage(options) as SipRequest;
    big.body = Buffer.alloc(5000, 0x61);
    const bigWire = serializeSipMessage(big);
    const c = collect(1024);
    c.framer.push(bigWire.subarray(0, 300));
    c.framer.push(bigWire.subarray(300, 3000));
    c.framer.push(Buffer.concat([bigWire.subarray(3000), options]));
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0].fatal).toBe(false);
    expect(c.errors[0].response?.status).toBe(513);
    expect(c.messages).toHaveLength(1);
  });

  it('is fatal when headers exceed the maximum size without ending', () => {
    const c = collect(512);
    c.framer.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX-Long: ${'y'.repeat(600)}`));
    expect(c.errors[0]).toMatchObject({ fatal: true });
    expect(c.errors[0].error.reason).toBe('Message too large');
  });
});
