import { MultipartParseError, parseBodyParts, parseMultipart } from './multipart';

const sdp = 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 1000 RTP/AVP 0\r\n';
const xml = '<?xml version="1.0"?>\r\n<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>\r\n';

function body(parts: Array<{ headers: string[]; content: string }>, opts: { eol?: string; boundary?: string; closing?: string; preamble?: string; epilogue?: string } = {}) {
  const eol = opts.eol ?? '\r\n';
  const b = opts.boundary ?? 'xyz';
  const lines: string[] = [];
  if (opts.preamble) lines.push(opts.preamble);
  for (const p of parts) {
    lines.push(`--${b}`, ...p.headers, '', p.content.replace(/\r\n/g, eol).replace(/\r?\n$/, ''));
  }
  lines.push(opts.closing ?? `--${b}--`);
  return Buffer.from(lines.join(eol) + eol + (opts.epilogue ?? ''), 'utf8');
}

const sdpPart = { headers: ['Content-Type: application/sdp'], content: sdp };
const metaPart = { headers: ['Content-Type: application/rs-metadata+xml', 'Content-Disposition: recording-session'], content: xml };

describe('parseMultipart', () => {
  it.each<[string, Buffer, string[]]>([
    ['SDP then metadata', body([sdpPart, metaPart]), ['application/sdp', 'application/rs-metadata+xml']],
    ['metadata then SDP', body([metaPart, sdpPart]), ['application/rs-metadata+xml', 'application/sdp']],
    ['LF line ends', body([sdpPart, metaPart], { eol: '\n' }), ['application/sdp', 'application/rs-metadata+xml']],
    ['disposition before type', body([{ headers: ['Content-Disposition: recording-session', 'Content-Type: application/rs-metadata'], content: xml }, sdpPart]), ['application/rs-metadata', 'application/sdp']],
    ['extra third part', body([sdpPart, metaPart, { headers: ['Content-Type: text/plain'], content: 'hello\r\n' }]), ['application/sdp', 'application/rs-metadata+xml', 'text/plain']],
    ['trailing space after closing boundary', body([sdpPart, metaPart], { closing: '--xyz-- ' }), ['application/sdp', 'application/rs-metadata+xml']],
    ['trailing tab+CRLF after closing and epilogue', body([sdpPart], { closing: '--xyz--\t', epilogue: 'epilogue text\r\n' }), ['application/sdp']],
    ['preamble', body([sdpPart], { preamble: 'This is a multi-part message in MIME format.' }), ['application/sdp']],
    ['padding after a delimiter', Buffer.from(`--xyz  \r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--xyz--\r\n`), ['application/sdp']],
    ['no closing boundary', Buffer.from(`--xyz\r\nContent-Type: application/sdp\r\n\r\n${sdp}`), ['application/sdp']],
    ['part without headers', Buffer.from(`--xyz\r\n\r\nplain\r\n--xyz--\r\n`), ['text/plain']],
    ['lower/upper case header names', Buffer.from(`--xyz\r\ncontent-type: Application/SDP\r\n\r\n${sdp}\r\n--xyz--`), ['application/sdp']],
  ])('%s', (_n, buf, types) => {
    const parts = parseMultipart(buf, 'xyz');
    expect(parts.map(p => p.contentType)).toEqual(types);
    const bodies = parts.filter(p => p.contentType === 'application/sdp').map(p => p.body.toString().replace(/\r?\n/g, '\n').replace(/\n$/, ''));
    expect(bodies.every(b => b === sdp.replace(/\r\n/g, '\n').replace(/\n$/, ''))).toBe(true);
  });

  it('keeps part bodies exact (the CRLF before a delimiter belongs to the delimiter)', () => {
    const parts = parseMultipart(body([sdpPart, metaPart]), 'xyz');
    expect(parts[0].body.toString()).toBe(sdp.replace(/\r\n$/, ''));
    expect(parts[1].disposition).toBe('recording-session');
  });

  it('reads disposition parameters', () => {
    const parts = parseMultipart(body([{ headers: ['Content-Type: application/sdp', 'Content-Disposition: session;handling=required'], content: sdp }]), 'xyz');
    expect(parts[0].disposition).toBe('session');
    expect(parts[0].dispositionParams.get('handling')).toBe('required');
  });

  it('does not mistake a longer line starting with the boundary for a delimiter', () => {
    const buf = Buffer.from(`--xyz\r\nContent-Type: text/plain\r\n\r\nline\r\n--xyzzy is not it\r\n--xyz--\r\n`);
    const parts = parseMultipart(buf, 'xyz');
    expect(parts).toHaveLength(1);
    expect(parts[0].body.toString()).toBe('line\r\n--xyzzy is not it');
  });

  it('throws MultipartParseError when the boundary is absent or a header is broken', () => {
    expect(() => parseMultipart(body([sdpPart]), 'other')).toThrow(MultipartParseError);
    expect(() => parseMultipart(Buffer.from('--xyz\r\nbroken header\r\n\r\nx\r\n--xyz--'), 'xyz')).toThrow(MultipartParseError);
    expect(() => parseMultipart(body([sdpPart]), '')).toThrow(MultipartParseError);
  });
});

describe('parseBodyParts', () => {
  it('handles quoted and unquoted boundary parameters', () => {
    const buf = body([sdpPart, metaPart], { boundary: 'a b' });
    expect(parseBodyParts('multipart/mixed; boundary="a b"', buf)).toHaveLength(2);
    expect(parseBodyParts('multipart/mixed;boundary=xyz', body([sdpPart]))).toHaveLength(1);
  });

  it('wraps a single-part body', () => {
    const parts = parseBodyParts('application/rs-metadata+xml', Buffer.from(xml));
    expect(parts).toHaveLength(1);
    expect(parts[0].contentType).toBe('application/rs-metadata+xml');
    expect(parseBodyParts(undefined, Buffer.alloc(0))).toEqual([]);
  });
});
