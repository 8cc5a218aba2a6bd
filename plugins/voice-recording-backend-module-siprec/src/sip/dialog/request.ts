import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { SipHeaders, SipRequest, parseNameAddr } from '../message';
import type { TransportName } from '../transport';
import type { Dialog } from './dialog';

/** Characters a quoted string of a Reason header cannot carry as such. */
function reasonText(value: string): string {
  return value.replace(/["\\\r\n]/g, ' ').slice(0, 200);
}

export interface InDialogRequestOptions {
  /** Our Via: transport, and the address and port responses come back to. */
  via: { transport: TransportName; host: string; port: number };
  /** RFC 3326 Reason header: `SIP;cause=<cause>;text="<text>"`. */
  reason?: { cause: number; text: string };
  headers?: Record<string, string>;
}

/**
 * A request from us (the UAS of the dialog) inside the dialog (RFC 3261 §12.2.1.1):
 * Request-URI = remote target, Route = the route set (the INVITE's Record-Route in
 * order); with a strict router first (no `lr`) the Request-URI is that router and the
 * remote target goes last in Route. From = local URI + our tag, To = remote URI +
 * their tag, same Call-ID, the next local CSeq, a new `z9hG4bK` branch, Max-Forwards 70.
 */
export function buildInDialogRequest(dialog: Dialog, method: string, options: InDialogRequestOptions): SipRequest {
  const headers = new SipHeaders();
  const { transport, port } = options.via;
  const host = isIP(options.via.host) === 6 ? `[${options.via.host}]` : options.via.host;
  headers.add('Via', `SIP/2.0/${transport.toUpperCase()} ${host}:${port};branch=z9hG4bK${randomBytes(8).toString('hex')};rport`);
  headers.add('Max-Forwards', '70');
  headers.add('From', `<${dialog.localUri}>;tag=${dialog.localTag}`);
  headers.add('To', `<${dialog.remoteUri}>${dialog.remoteTag ? `;tag=${dialog.remoteTag}` : ''}`);
  headers.add('Call-ID', dialog.callId);
  headers.add('CSeq', `${dialog.nextLocalSeq()} ${method}`);
  let uri = dialog.remoteTarget;
  const routes = [...dialog.routeSet];
  if (routes.length) {
    const first = parseNameAddr(routes[0]);
    if (!/;\s*lr(?:[;=>]|$)/i.test(first.uri)) {
      // strict router (RFC 3261 §12.2.1.1): it becomes the Request-URI
      uri = first.uri;
      routes.shift();
      routes.push(`<${dialog.remoteTarget}>`);
    }
  }
  for (const r of routes) headers.add('Route', r);
  if (options.reason) headers.add('Reason', `SIP;cause=${options.reason.cause};text="${reasonText(options.reason.text)}"`);
  for (const [k, v] of Object.entries(options.headers ?? {})) headers.add(k, v);
  return { kind: 'request', method, uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}
