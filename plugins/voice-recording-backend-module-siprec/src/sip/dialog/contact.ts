import { isIP } from 'node:net';
import { SipRequest, parseNameAddr } from '../message';
import type { TransportName } from '../transport';

/** True when a URI (or name-addr) is a SIPS URI. */
function isSips(value: string | undefined): boolean {
  if (!value) return false;
  try {
    return /^sips:/i.test(parseNameAddr(value).uri);
  } catch {
    return /^\s*<?\s*sips:/i.test(value);
  }
}

/**
 * The Contact the recorder puts in its 2xx responses. On UDP and TCP:
 * `<sip:user@host:port;transport=udp|tcp>`. On TLS: `<sips:user@host:port>` when the
 * request used a SIPS URI (its Request-URI, else the top Record-Route, else its
 * Contact when there is no Record-Route: RFC 3261 §12.1.1 then requires a SIPS
 * Contact), and `<sip:user@host:port;transport=tls>` otherwise (RFC 5630 §3.1.3:
 * the SRC chose TLS for this hop only).
 */
export function localContact(options: {
  transport: TransportName;
  host: string;
  port: number;
  request: SipRequest;
  user?: string;
}): string {
  const { transport, port, request } = options;
  const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  const user = options.user ?? 'srs';
  if (transport === 'tls') {
    const recordRoute = request.headers.getAll('Record-Route')[0];
    const sips =
      /^sips:/i.test(request.uri) || (recordRoute !== undefined ? isSips(recordRoute) : isSips(request.headers.getAll('Contact')[0]));
    if (sips) return `<sips:${user}@${host}:${port}>`;
  }
  return `<sip:${user}@${host}:${port};transport=${transport}>`;
}
