import { SipRequest, parseCSeq, parseNameAddr, parseVia } from '../message';

/** RFC 3261 §8.1.1.7: branches starting with this cookie are globally unique. */
export const MAGIC_COOKIE = 'z9hG4bK';

function fromTag(req: SipRequest): string {
  try {
    return parseNameAddr(req.headers.get('From') ?? '').params.get('tag') ?? '';
  } catch {
    return '';
  }
}

/**
 * Server transaction key (RFC 3261 §17.2.3). With a magic-cookie branch:
 * branch + sent-by + method (ACK and CANCEL are mapped as the RFC says by the
 * caller through `methodOverride`). Otherwise the RFC 2543 fallback: Request-URI,
 * From tag, Call-ID, CSeq number, top Via and method.
 * Throws SipParseError when the top Via or CSeq is unreadable.
 */
export function serverTransactionKey(req: SipRequest, methodOverride?: string): string {
  const topViaRaw = req.headers.getAll('Via')[0] ?? '';
  const via = parseVia(topViaRaw);
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  if (via.branch && via.branch.startsWith(MAGIC_COOKIE) && via.branch.length > MAGIC_COOKIE.length) {
    return `3261|${via.branch}|${via.host.toLowerCase()}:${via.port ?? ''}|${method}`;
  }
  const cseq = parseCSeq(req.headers.get('CSeq') ?? '');
  return [
    '2543',
    req.uri,
    fromTag(req),
    req.headers.get('Call-ID') ?? '',
    cseq.seq,
    topViaRaw.replace(/\s+/g, '').toLowerCase(),
    method,
  ].join('|');
}

/** Key matching the ACK for a 2xx (new branch) to its INVITE: Call-ID, CSeq number, From tag. */
export function ackMatchKey(req: SipRequest): string {
  const cseq = parseCSeq(req.headers.get('CSeq') ?? '');
  return `${req.headers.get('Call-ID') ?? ''}|${cseq.seq}|${fromTag(req)}`;
}
