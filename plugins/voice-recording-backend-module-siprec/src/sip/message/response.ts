import { createHash } from 'node:crypto';
import { SipParseError } from './errors';
import { SipHeaders, parseNameAddr } from './headers';
import { SipRequest, SipResponse } from './message';
import { safeReasonPhrase } from './sanitize';

export interface BuildResponseOptions {
  /** To tag to add when the request has none; defaults to a stable hash of the request. */
  toTag?: string;
}

/**
 * Deterministic To tag for a request without one: the same for every response
 * (and retransmission) to the same request, different per dialog.
 */
export function defaultToTag(request: SipRequest): string {
  let fromTag = '';
  try {
    fromTag = parseNameAddr(request.headers.get('From') ?? '').params.get('tag') ?? '';
  } catch {
    fromTag = request.headers.get('From') ?? '';
  }
  return createHash('sha1')
    .update(`${request.headers.get('Call-ID') ?? ''}|${fromTag}|srs`)
    .digest('hex')
    .slice(0, 12);
}

function withToTag(to: string, tag: string): string {
  try {
    if (parseNameAddr(to).params.has('tag')) return to;
  } catch {
    return to;
  }
  // addr-spec without <> and with params would make ";tag" ambiguous: add <>.
  if (!to.includes('<') && to.includes(';')) return to;
  return `${to};tag=${tag}`;
}

/**
 * Builds a response to `request` (RFC 3261 §8.2.6): copies every Via in order,
 * From, To (adding a To tag for status > 100), Call-ID, CSeq, Timestamp, and
 * Record-Route for 18x/2xx; then `extraHeaders`; Content-Length follows the body.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  reason: string,
  extraHeaders?: Record<string, string | string[]> | SipHeaders,
  body?: Buffer | string,
  options: BuildResponseOptions = {},
): SipResponse {
  const headers = new SipHeaders();
  for (const via of request.headers.getLines('Via')) headers.add('Via', via);
  const from = request.headers.get('From');
  if (from !== undefined) headers.add('From', from);
  const to = request.headers.get('To');
  if (to !== undefined) {
    headers.add(
      'To',
      status > 100 ? withToTag(to, options.toTag ?? defaultToTag(request)) : to,
    );
  }
  for (const name of ['Call-ID', 'CSeq', 'Timestamp']) {
    const v = request.headers.get(name);
    if (v !== undefined) headers.add(name, v);
  }
  if (status > 100 && status < 300) {
    for (const rr of request.headers.getLines('Record-Route')) {
      headers.add('Record-Route', rr);
    }
  }
  if (extraHeaders) {
    const list =
      extraHeaders instanceof SipHeaders
        ? extraHeaders.list()
        : new SipHeaders(extraHeaders).list();
    for (const h of list) {
      if (h.name.toLowerCase() !== 'content-length') headers.add(h.name, h.value);
    }
  }
  return {
    kind: 'response',
    version: 'SIP/2.0',
    status,
    // often made from what the request carried: no control byte goes back on the wire
    reason: safeReasonPhrase(reason),
    headers,
    body: body === undefined ? Buffer.alloc(0) : Buffer.from(body),
  };
}

/**
 * A `400 Bad Request` for a message that failed to parse, when the partial
 * parse recovered enough to address it (a request with Via, From, To, Call-ID
 * and CSeq). Returns undefined otherwise (or for responses: never answer those).
 */
export function buildParseErrorResponse(
  error: SipParseError,
  status = 400,
  reasonPhrase?: string,
): SipResponse | undefined {
  const p = error.partial;
  if (!p?.startLine || !p.headers) return undefined;
  const req = /^(\S+) (\S+) SIP\/2\.0$/i.exec(p.startLine.trim());
  if (!req || req[1].toUpperCase() === 'ACK') return undefined;
  const headers = new SipHeaders(p.headers);
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!headers.get(name)) return undefined;
  }
  const request: SipRequest = {
    kind: 'request',
    method: req[1].toUpperCase(),
    uri: req[2],
    version: 'SIP/2.0',
    headers,
    body: Buffer.alloc(0),
  };
  return buildResponse(request, status, safeReasonPhrase(reasonPhrase ?? error.reason, 100));
}
