import { SipParseError } from './errors';
import { SipHeader, SipHeaders, parseCSeq } from './headers';
import { SipMessage } from './message';

export interface ParseOptions {
  /**
   * Stream transports (TCP) must carry Content-Length (RFC 3261 §18.3). On
   * datagrams a missing Content-Length means "the rest of the datagram".
   */
  requireContentLength?: boolean;
  /** Check Via/From/To/Call-ID/CSeq are present and sane (default true). */
  validateMandatory?: boolean;
}

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const CRLF = 0x0a;

/** Index of the end of the header section and the length of the blank line. */
export function findHeaderEnd(
  buf: Buffer,
  from = 0,
): { index: number; sepLength: number } | undefined {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] !== CRLF) continue;
    // \n\n or \n\r\n
    if (buf[i + 1] === 0x0a) return { index: i - (buf[i - 1] === 0x0d ? 1 : 0), sepLength: buf[i - 1] === 0x0d ? 3 : 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) {
      return {
        index: i - (buf[i - 1] === 0x0d ? 1 : 0),
        sepLength: buf[i - 1] === 0x0d ? 4 : 3,
      };
    }
  }
  return undefined;
}

/** Number of leading CR/LF bytes (keep-alives and stray line ends before a message). */
export function leadingLineEnds(buf: Buffer, from = 0): number {
  let i = from;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i - from;
}

/** Splits a header section into unfolded `{name, value}` lines. */
export function parseHeaderSection(text: string): {
  startLine: string;
  headers: SipHeader[];
} {
  const lines = text.split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const headers: SipHeader[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      const last = headers[headers.length - 1];
      if (!last) {
        throw new SipParseError(
          'Bad header folding',
          'continuation line before any header',
          { startLine, headers },
        );
      }
      last.value = `${last.value} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!name || !TOKEN_RE.test(name)) {
      throw new SipParseError(
        'Bad header line',
        JSON.stringify(line.slice(0, 80)),
        { startLine, headers },
      );
    }
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  return { startLine, headers };
}

/** Reads and checks the Content-Length header(s); undefined when absent. */
export function readContentLength(
  headers: SipHeaders,
  partial?: SipParseError['partial'],
): number | undefined {
  const values = headers.getLines('Content-Length');
  if (values.length === 0) return undefined;
  const distinct = new Set(values.map(v => v.trim()));
  if (distinct.size > 1) {
    throw new SipParseError('Conflicting Content-Length', values.join(' / '), partial);
  }
  const v = values[0].trim();
  if (!/^\d{1,9}$/.test(v)) {
    throw new SipParseError('Bad Content-Length', JSON.stringify(v), partial);
  }
  return Number(v);
}

/**
 * Parses one SIP message from bytes. Leading CRLFs are skipped. Throws only
 * {@link SipParseError}.
 */
export function parseSipMessage(buf: Buffer, options: ParseOptions = {}): SipMessage {
  try {
    return parseUnsafe(buf, options);
  } catch (e) {
    if (e instanceof SipParseError) throw e;
    throw new SipParseError('Malformed message', String((e as Error)?.message ?? e));
  }
}

function parseUnsafe(buf: Buffer, options: ParseOptions): SipMessage {
  if (!Buffer.isBuffer(buf)) throw new SipParseError('Not a buffer');
  const start = leadingLineEnds(buf);
  if (start >= buf.length) throw new SipParseError('Empty message');
  const end = findHeaderEnd(buf, start);
  let headerText: string;
  let bodyStart: number;
  if (end) {
    headerText = buf.toString('utf8', start, end.index);
    bodyStart = end.index + end.sepLength;
  } else {
    // Tolerate a message that ends right after its last header line.
    const tail = buf.toString('utf8', start);
    if (!/\r?\n$/.test(tail)) {
      throw new SipParseError('Incomplete header section', 'no blank line after headers');
    }
    headerText = tail.replace(/\r?\n$/, '');
    bodyStart = buf.length;
  }
  const { startLine, headers: rawHeaders } = parseHeaderSection(headerText);
  const partial = { startLine, headers: rawHeaders };
  const headers = new SipHeaders(rawHeaders);

  let message: SipMessage;
  const resp = /^(SIP\/\d+\.\d+) (\d{3}) ?(.*)$/i.exec(startLine);
  if (resp) {
    const status = Number(resp[2]);
    if (status < 100 || status > 699) {
      throw new SipParseError('Bad status code', resp[2], partial);
    }
    message = {
      kind: 'response',
      version: resp[1].toUpperCase(),
      status,
      reason: resp[3],
      headers,
      body: Buffer.alloc(0),
    };
  } else {
    const req = /^(\S+) (\S+) (SIP\/\d+\.\d+)$/i.exec(startLine.trim());
    if (!req || !TOKEN_RE.test(req[1])) {
      throw new SipParseError(
        'Bad start line',
        JSON.stringify(startLine.slice(0, 80)),
        partial,
      );
    }
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(req[2])) {
      throw new SipParseError('Bad Request-URI', JSON.stringify(req[2]), partial);
    }
    message = {
      kind: 'request',
      method: req[1].toUpperCase(),
      uri: req[2],
      version: req[3].toUpperCase(),
      headers,
      body: Buffer.alloc(0),
    };
  }
  if (message.version !== 'SIP/2.0') {
    throw new SipParseError('Unsupported SIP version', message.version, partial);
  }

  const contentLength = readContentLength(headers, partial);
  const available = buf.length - bodyStart;
  if (contentLength === undefined) {
    if (options.requireContentLength) {
      throw new SipParseError('Missing Content-Length', undefined, partial);
    }
    message.body = Buffer.from(buf.subarray(bodyStart));
  } else {
    if (contentLength > available) {
      throw new SipParseError(
        'Truncated body',
        `Content-Length ${contentLength} but ${available} bytes`,
        partial,
      );
    }
    // RFC 3261 §18.3: bytes beyond Content-Length are discarded.
    message.body = Buffer.from(buf.subarray(bodyStart, bodyStart + contentLength));
  }

  if (options.validateMandatory !== false) validateMandatory(message, partial);
  return message;
}

function validateMandatory(m: SipMessage, partial: SipParseError['partial']): void {
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    const v = m.headers.get(name);
    if (v === undefined || v.trim() === '') {
      throw new SipParseError(`Missing ${name} header`, undefined, partial);
    }
  }
  const cseq = parseCSeq(m.headers.get('CSeq')!);
  if (m.kind === 'request' && cseq.method !== m.method) {
    throw new SipParseError(
      'CSeq method mismatch',
      `${cseq.method} in CSeq for ${m.method}`,
      partial,
    );
  }
}
