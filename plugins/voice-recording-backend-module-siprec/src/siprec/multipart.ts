import { SipHeaders, parseContentType, parseParams } from '../sip/message';

export interface MimePart {
  headers: SipHeaders;
  /** Lower-cased media type (`application/sdp`); `text/plain` when absent (RFC 2046). */
  contentType: string;
  contentTypeParams: Map<string, string>;
  /** Disposition type, lower-cased (`session`, `recording-session`), when given. */
  disposition?: string;
  dispositionParams: Map<string, string>;
  body: Buffer;
}

export class MultipartParseError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MultipartParseError';
  }
}

function indexOfLineStart(buf: Buffer, needle: Buffer, from: number): number {
  let i = from;
  for (;;) {
    const at = buf.indexOf(needle, i);
    if (at < 0) return -1;
    if (at === 0 || buf[at - 1] === 0x0a) return at;
    i = at + 1;
  }
}

/** Next delimiter line: at a line start, followed by `--`, padding and a line end, or the end. */
function findDelimiter(buf: Buffer, delimiter: Buffer, from: number): number {
  let i = from;
  for (;;) {
    const at = indexOfLineStart(buf, delimiter, i);
    if (at < 0) return -1;
    let p = at + delimiter.length;
    if (buf[p] === 0x2d && buf[p + 1] === 0x2d) return at;
    while (p < buf.length && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
    if (p >= buf.length || buf[p] === 0x0a || (buf[p] === 0x0d && buf[p + 1] === 0x0a)) return at;
    i = at + 1;
  }
}

function splitPartHeaders(part: Buffer): { headerText: string; body: Buffer } {
  // A part starting with a blank line has no headers.
  if (part[0] === 0x0a) return { headerText: '', body: part.subarray(1) };
  if (part[0] === 0x0d && part[1] === 0x0a) return { headerText: '', body: part.subarray(2) };
  for (let i = 0; i < part.length; i++) {
    if (part[i] !== 0x0a) continue;
    if (part[i + 1] === 0x0a) {
      return { headerText: part.toString('utf8', 0, i), body: part.subarray(i + 2) };
    }
    if (part[i + 1] === 0x0d && part[i + 2] === 0x0a) {
      return { headerText: part.toString('utf8', 0, i), body: part.subarray(i + 3) };
    }
  }
  // No blank line: all headers, or a body without headers when it does not look like headers.
  const text = part.toString('utf8');
  if (/^[A-Za-z0-9-]+\s*:/.test(text)) return { headerText: text, body: Buffer.alloc(0) };
  return { headerText: '', body: part };
}

function parsePartHeaders(text: string): SipHeaders {
  const headers = new SipHeaders();
  let last: { name: string; value: string } | undefined;
  const lines: Array<{ name: string; value: string }> = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartParseError(`bad part header line "${line.slice(0, 60)}"`);
    last = { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
    lines.push(last);
  }
  for (const l of lines) headers.add(l.name, l.value);
  return headers;
}

function toPart(raw: Buffer): MimePart {
  const { headerText, body } = splitPartHeaders(raw);
  const headers = parsePartHeaders(headerText);
  let contentType = 'text/plain';
  let contentTypeParams = new Map<string, string>();
  const ct = headers.get('Content-Type');
  if (ct) {
    try {
      const parsed = parseContentType(ct);
      contentType = parsed.mediaType;
      contentTypeParams = parsed.params;
    } catch {
      throw new MultipartParseError(`bad part Content-Type "${ct}"`);
    }
  }
  const cd = headers.get('Content-Disposition');
  let disposition: string | undefined;
  let dispositionParams = new Map<string, string>();
  if (cd) {
    const semi = cd.indexOf(';');
    disposition = (semi < 0 ? cd : cd.slice(0, semi)).trim().toLowerCase() || undefined;
    dispositionParams = semi < 0 ? new Map() : parseParams(cd.slice(semi));
  }
  return { headers, contentType, contentTypeParams, disposition, dispositionParams, body };
}

/**
 * Parses a multipart body (RFC 2046 §5.1) leniently: CRLF or LF line ends,
 * quoted or unquoted boundary (pass the parameter value), preamble/epilogue,
 * transport padding or a trailing space after the closing delimiter, any number
 * of parts with headers in any order. A missing closing delimiter is tolerated.
 */
export function parseMultipart(body: Buffer, boundary: string): MimePart[] {
  if (!boundary) throw new MultipartParseError('missing boundary');
  if (boundary.length > 200) throw new MultipartParseError('boundary too long');
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  let at = findDelimiter(body, delimiter, 0);
  if (at < 0) throw new MultipartParseError(`boundary "${boundary}" not found in body`);
  const parts: MimePart[] = [];
  for (;;) {
    let p = at + delimiter.length;
    if (body[p] === 0x2d && body[p + 1] === 0x2d) break; // closing delimiter
    // transport padding up to the end of the delimiter line
    while (p < body.length && (body[p] === 0x20 || body[p] === 0x09)) p++;
    if (p >= body.length) break;
    if (body[p] === 0x0d && body[p + 1] === 0x0a) p += 2;
    else if (body[p] === 0x0a) p += 1;
    else if (body[p] === 0x0d && p + 1 >= body.length) break;
    const next = findDelimiter(body, delimiter, p);
    let end = next < 0 ? body.length : next;
    // the line end before the next delimiter belongs to the delimiter
    if (next >= 0) {
      if (end > p && body[end - 1] === 0x0a) end--;
      if (end > p && body[end - 1] === 0x0d) end--;
    }
    parts.push(toPart(body.subarray(p, Math.max(p, end))));
    if (next < 0) break;
    at = next;
  }
  return parts;
}

/** Parses `body` according to a message's Content-Type (multipart or single part). */
export function parseBodyParts(contentTypeHeader: string | undefined, body: Buffer): MimePart[] {
  if (!contentTypeHeader || body.length === 0) return [];
  let ct;
  try {
    ct = parseContentType(contentTypeHeader);
  } catch {
    throw new MultipartParseError(`bad Content-Type "${contentTypeHeader}"`);
  }
  if (ct.mediaType.startsWith('multipart/')) {
    return parseMultipart(body, ct.params.get('boundary') ?? '');
  }
  const headers = new SipHeaders({ 'Content-Type': contentTypeHeader });
  return [
    {
      headers,
      contentType: ct.mediaType,
      contentTypeParams: ct.params,
      dispositionParams: new Map(),
      body,
    },
  ];
}
