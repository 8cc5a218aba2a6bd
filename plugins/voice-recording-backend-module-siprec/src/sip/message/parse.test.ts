import { inviteFixtures } from '../../__fixtures__/siprecInvites';
import { SipParseError } from './errors';
import {
  parseCSeq,
  parseContentType,
  parseNameAddr,
  parseUri,
  parseVia,
  splitHeaderList,
} from './headers';
import { SipRequest, SipResponse } from './message';
import { parseSipMessage } from './parse';
import { serializeSipMessage } from './serialize';

const CRLF = '\r\n';
const base = [
  'OPTIONS sip:srs@10.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1',
  'From: <sip:a@10.0.0.2>;tag=1',
  'To: <sip:srs@10.0.0.1>',
  'Call-ID: abc@10.0.0.2',
  'CSeq: 1 OPTIONS',
];
const wire = (lines: string[], body = '', eol = CRLF) =>
  Buffer.from(lines.join(eol) + eol + eol + body, 'utf8');
const req = (lines: string[], body = '', eol = CRLF) =>
  parseSipMessage(wire(lines, body, eol)) as SipRequest;

function parseError(buf: Buffer, opts = {}): SipParseError {
  try {
    parseSipMessage(buf, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    return e as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

describe('parseSipMessage: requests and responses', () => {
  it('parses a request start line and headers', () => {
    const m = req([...base, 'Content-Length: 0']);
    expect(m.kind).toBe('request');
    expect(m.method).toBe('OPTIONS');
    expect(m.uri).toBe('sip:srs@10.0.0.1');
    expect(m.version).toBe('SIP/2.0');
    expect(m.headers.get('call-id')).toBe('abc@10.0.0.2');
    expect(m.body.length).toBe(0);
  });

  it('parses a response with a multi-word reason', () => {
    const m = parseSipMessage(
      wire([
        'SIP/2.0 491 Request Pending',
        ...base.slice(1, 5),
        'CSeq: 1 INVITE',
        'Content-Length: 0',
      ]),
    ) as SipResponse;
    expect(m.kind).toBe('response');
    expect(m.status).toBe(491);
    expect(m.reason).toBe('Request Pending');
  });

  it('accepts an empty reason phrase', () => {
    const m = parseSipMessage(
      wire(['SIP/2.0 200 ', ...base.slice(1), 'Content-Length: 0']),
    ) as SipResponse;
    expect(m.status).toBe(200);
    expect(m.reason).toBe('');
  });

  it.each([
    ['i', 'Call-ID'],
    ['m', 'Contact'],
    ['f', 'From'],
    ['t', 'To'],
    ['v', 'Via'],
    ['l', 'Content-Length'],
    ['c', 'Content-Type'],
    ['k', 'Supported'],
    ['s', 'Subject'],
    ['e', 'Content-Encoding'],
    ['o', 'Event'],
    ['u', 'Allow-Events'],
    ['x', 'Session-Expires'],
    ['r', 'Refer-To'],
    ['b', 'Referred-By'],
  ])('compact form %s is %s', (compact, full) => {
    const values: Record<string, string> = {
      'Content-Length': '0',
      'Content-Type': 'application/sdp',
      Via: 'SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKc',
      From: '<sip:x@y>;tag=2',
      To: '<sip:z@y>',
      'Call-ID': 'compact@x',
    };
    const value = values[full] ?? 'value-x';
    const lines = base.filter(
      l => !l.toLowerCase().startsWith(`${full.toLowerCase()}:`),
    );
    const m = req([...lines, `${compact}: ${value}`]);
    expect(m.headers.getLines(full)).toContain(value);
    expect(m.headers.get(full.toUpperCase())).toBeDefined();
    expect(m.headers.list().some(h => h.name === full)).toBe(true);
  });

  it.each(['call-id', 'CALL-ID', 'Call-Id', 'cAlL-iD', 'i'])(
    'header names are case-insensitive: %s',
    name => {
      const m = req([...base.filter(l => !l.startsWith('Call-ID')), `${name}: x@y`]);
      expect(m.headers.get('Call-ID')).toBe('x@y');
      expect(m.headers.get('call-id')).toBe('x@y');
    },
  );

  it('unfolds folded header lines (SP and HTAB)', () => {
    const m = req([...base, 'Subject: first', ' second', '\tthird', 'Content-Length: 0']);
    expect(m.headers.get('Subject')).toBe('first second third');
  });

  it('reads multiple Via, comma separated and repeated, in order', () => {
    const m = req([
      'INVITE sip:a@b SIP/2.0',
      'Via: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/TCP h2:5070;branch=z9hG4bK2',
      'v: SIP/2.0/UDP [2001:db8::1]:5080;branch=z9hG4bK3;received=1.2.3.4',
      ...base.slice(2, 5),
      'CSeq: 1 INVITE',
      'Content-Length: 0',
    ]);
    const vias = m.headers.getAll('via').map(parseVia);
    expect(vias.map(v => v.host)).toEqual(['h1', 'h2', '[2001:db8::1]']);
    expect(vias.map(v => v.port)).toEqual([undefined, 5070, 5080]);
    expect(vias.map(v => v.transport)).toEqual(['UDP', 'TCP', 'UDP']);
    expect(vias[2].params.get('received')).toBe('1.2.3.4');
    expect(m.headers.getLines('Via')).toHaveLength(2);
  });

  it('keeps commas inside quoted display names', () => {
    const m = req([
      ...base,
      'Contact: "Doe, John" <sip:john@h>;expires=60, <sip:other@h>;q=0.5',
      'Content-Length: 0',
    ]);
    const contacts = m.headers.getAll('Contact').map(parseNameAddr);
    expect(contacts).toHaveLength(2);
    expect(contacts[0].displayName).toBe('Doe, John');
    expect(contacts[0].uri).toBe('sip:john@h');
    expect(contacts[0].params.get('expires')).toBe('60');
    expect(contacts[1].params.get('q')).toBe('0.5');
  });

  it('keeps the body as a Buffer, honouring Content-Length (binary safe)', () => {
    const body = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x80]);
    const head = Buffer.from(
      [...base, 'Content-Type: application/octet-stream', `Content-Length: ${body.length}`].join(
        CRLF,
      ) +
        CRLF +
        CRLF,
    );
    const m = parseSipMessage(Buffer.concat([head, body, Buffer.from('extra')]));
    expect(Buffer.isBuffer(m.body)).toBe(true);
    expect(m.body.equals(body)).toBe(true);
  });

  it('without Content-Length takes the rest of a datagram, unless required', () => {
    expect(req(base, 'hello').body.toString()).toBe('hello');
    const e = parseError(wire(base, 'hello'), { requireContentLength: true });
    expect(e.reason).toBe('Missing Content-Length');
  });

  it('accepts LF-only line ends and leading CRLF keep-alives', () => {
    const m = parseSipMessage(
      Buffer.concat([Buffer.from('\r\n\r\n'), wire([...base, 'Content-Length: 2'], 'hi', '\n')]),
    );
    expect(m.body.toString()).toBe('hi');
  });

  it('accepts a message ending right after the last header line', () => {
    const m = parseSipMessage(Buffer.from(`${base.join(CRLF)}${CRLF}`));
    expect(m.kind).toBe('request');
  });

  it('upper-cases the method and reads CSeq', () => {
    const m = req([
      'invite sip:a@b SIP/2.0',
      ...base.slice(1, 5),
      'CSeq:  42   invite',
      'Content-Length: 0',
    ]);
    expect(m.method).toBe('INVITE');
    expect(parseCSeq(m.headers.get('CSeq')!)).toEqual({ seq: 42, method: 'INVITE' });
  });

  it('accepts identical duplicated Content-Length', () => {
    const m = req([...base, 'Content-Length: 2', 'l: 2'], 'ok');
    expect(m.body.toString()).toBe('ok');
  });
});

describe('parseSipMessage: errors are SipParseError with a reason', () => {
  it.each<[string, Buffer, string]>([
    ['empty buffer', Buffer.alloc(0), 'Empty message'],
    ['only CRLF', Buffer.from('\r\n\r\n'), 'Empty message'],
    ['garbage', Buffer.from('hello world\r\n\r\n'), 'Bad start line'],
    ['no blank line', Buffer.from(base.join(CRLF)), 'Incomplete header section'],
    ['bad version', wire(['OPTIONS sip:a@b SIP/3.0', ...base.slice(1)]), 'Unsupported SIP version'],
    ['bad status', wire(['SIP/2.0 999 Nope', ...base.slice(1)]), 'Bad status code'],
    ['bad uri', wire(['OPTIONS nouri SIP/2.0', ...base.slice(1)]), 'Bad Request-URI'],
    ['header without colon', wire([...base, 'Broken header']), 'Bad header line'],
    ['header name with space', wire([...base, 'Bad Name: x']), 'Bad header line'],
    ['fold before any header', wire([base[0], ' folded', ...base.slice(1)]), 'Bad header folding'],
    ['negative length', wire([...base, 'Content-Length: -1']), 'Bad Content-Length'],
    ['non-numeric length', wire([...base, 'Content-Length: ten']), 'Bad Content-Length'],
    ['conflicting length', wire([...base, 'Content-Length: 1', 'l: 2'], 'ab'), 'Conflicting Content-Length'],
    ['truncated body', wire([...base, 'Content-Length: 10'], 'abc'), 'Truncated body'],
    ['missing Call-ID', wire(base.filter(l => !l.startsWith('Call-ID'))), 'Missing Call-ID header'],
    ['missing Via', wire(base.filter(l => !l.startsWith('Via'))), 'Missing Via header'],
    ['missing CSeq', wire(base.filter(l => !l.startsWith('CSeq'))), 'Missing CSeq header'],
    ['bad CSeq', wire([...base.slice(0, 5), 'CSeq: one OPTIONS']), 'Bad CSeq header'],
    ['CSeq method mismatch', wire([...base.slice(0, 5), 'CSeq: 1 INVITE']), 'CSeq method mismatch'],
  ])('%s', (_name, buf, reason) => {
    const e = parseError(buf);
    expect(e.reason).toBe(reason);
  });

  it('keeps the partial parse so a 400 can be addressed', () => {
    const e = parseError(wire([...base, 'Content-Length: x']));
    expect(e.partial?.startLine).toBe(base[0]);
    expect(e.partial?.headers?.find(h => h.name === 'Call-ID')?.value).toBe(
      'abc@10.0.0.2',
    );
  });

  it('rejects a non-Buffer input with SipParseError', () => {
    expect(() => parseSipMessage('text' as unknown as Buffer)).toThrow(SipParseError);
  });
});

describe('header helpers', () => {
  it.each<[string, { displayName?: string; uri: string; params: Record<string, string> }]>([
    ['"Alice" <sip:alice@a.com>;tag=88', { displayName: 'Alice', uri: 'sip:alice@a.com', params: { tag: '88' } }],
    ['Alice Smith <sip:alice@a.com>', { displayName: 'Alice Smith', uri: 'sip:alice@a.com', params: {} }],
    ['<sip:a@b;transport=tcp>;tag=x;+sip.src', { uri: 'sip:a@b;transport=tcp', params: { tag: 'x', '+sip.src': '' } }],
    ['sip:a@b;tag=9', { uri: 'sip:a@b', params: { tag: '9' } }],
    ['sip:a@b', { uri: 'sip:a@b', params: {} }],
    ['"Quote \\" in, name" <tel:+3247>', { displayName: 'Quote " in, name', uri: 'tel:+3247', params: {} }],
    ['<sip:a@b> ; src', { uri: 'sip:a@b', params: { src: '' } }],
    ['<sip:a@b>;foo="quoted;value"', { uri: 'sip:a@b', params: { foo: 'quoted;value' } }],
  ])('parseNameAddr(%s)', (input, expected) => {
    const r = parseNameAddr(input);
    expect(r.displayName).toBe(expected.displayName);
    expect(r.uri).toBe(expected.uri);
    expect(Object.fromEntries(r.params)).toEqual(expected.params);
  });

  it.each(['"unterminated <sip:a@b>', '<sip:a@b', '"x" sip:a@b', '', '<>'])(
    'parseNameAddr rejects %j',
    bad => expect(() => parseNameAddr(bad)).toThrow(SipParseError),
  );

  it('splitHeaderList respects quotes and angle brackets', () => {
    expect(splitHeaderList('a, "b,c" <sip:x?h=1,2>, d')).toEqual([
      'a',
      '"b,c" <sip:x?h=1,2>',
      'd',
    ]);
  });

  it('parseVia reads branch and rport flag', () => {
    const v = parseVia('SIP / 2.0 / udp host.example:5060 ; branch=z9hG4bKab ; rport');
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: 'host.example', port: 5060, branch: 'z9hG4bKab' });
    expect(v.params.get('rport')).toBe('');
    expect(() => parseVia('garbage')).toThrow(SipParseError);
    expect(() => parseVia('SIP/2.0/UDP host:99999')).toThrow(SipParseError);
  });

  it('parseContentType reads quoted and unquoted boundaries', () => {
    expect(parseContentType('multipart/mixed;boundary="a b;c"').params.get('boundary')).toBe('a b;c');
    expect(parseContentType('Multipart/Mixed; boundary=xyz').mediaType).toBe('multipart/mixed');
    expect(() => parseContentType('nonsense')).toThrow(SipParseError);
  });

  it('parseUri reads sip, sips and tel', () => {
    expect(parseUri('sip:+32470@Host.COM:5062;user=phone')).toMatchObject({ scheme: 'sip', user: '+32470', host: 'host.com', port: 5062 });
    expect(parseUri('tel:+3224445566;phone-context=x')).toMatchObject({ scheme: 'tel', user: '+3224445566' });
    expect(parseUri('sips:[2001:db8::2]:5061')).toMatchObject({ host: '[2001:db8::2]', port: 5061 });
    expect(() => parseUri('nocolon')).toThrow(SipParseError);
  });
});

describe('SIPREC INVITE shapes parse', () => {
  it.each(inviteFixtures.map(f => [f.name, f] as const))('%s', (_n, fixture) => {
    const m = parseSipMessage(fixture.wire) as SipRequest;
    expect(m.method).toBe('INVITE');
    expect(m.headers.get('Content-Length')).toBe(String(m.body.length));
    expect(m.body.length).toBeGreaterThan(100);
    // round trip: serialise then parse gives the same headers and body
    const again = parseSipMessage(serializeSipMessage(m)) as SipRequest;
    expect(again.headers.list()).toEqual(m.headers.list());
    expect(again.body.equals(m.body)).toBe(true);
  });
});
