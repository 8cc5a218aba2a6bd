import net from 'node:net';
import tls from 'node:tls';
import { StreamSocketFactory, TcpTransport, TcpTransportOptions } from './tcpTransport';

export interface TlsTransportOptions extends Omit<TcpTransportOptions, 'socketFactory'> {
  /** PEM certificate, or chain (leaf first), presented to clients. */
  cert: string | Buffer;
  /** PEM private key of `cert` (not encrypted). */
  key: string | Buffer;
  /** PEM CA certificate(s) client certificates must chain to (with `requestClientCertificate`). */
  ca?: string | Buffer;
  /**
   * Ask every client for a certificate and refuse the connection when it has
   * none or it does not chain to `ca`. Default false (any client may connect).
   */
  requestClientCertificate?: boolean;
  /** Drop connections whose handshake takes longer (ms). Default 10 000. */
  handshakeTimeoutMs?: number;
}

/** The lowest TLS version accepted. */
export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630): the {@link TcpTransport} (same
 * framing, same per-connection response routing) on a `node:tls` server, TLS 1.2
 * or later. Responses are only sent on the connection the request came in on:
 * the recorder opens no TLS connection of its own.
 */
export class TlsTransport extends TcpTransport {
  constructor(options: TlsTransportOptions) {
    const { cert, key, ca, requestClientCertificate, handshakeTimeoutMs, ...rest } = options;
    if (requestClientCertificate && !ca) {
      throw new Error('TLS transport: requestClientCertificate needs the CA certificate(s) (ca) to verify clients against');
    }
    const factory: StreamSocketFactory = {
      name: 'tls',
      createServer(onConnection, onRejected) {
        let server: tls.Server;
        try {
          server = tls.createServer(
            {
              cert,
              key,
              ca,
              requestCert: !!requestClientCertificate,
              // checked below, so that a refusal says why
              rejectUnauthorized: false,
              minVersion: TLS_MIN_VERSION,
              handshakeTimeout: handshakeTimeoutMs ?? 10_000,
            },
            (socket: tls.TLSSocket) => {
              if (requestClientCertificate && !socket.authorized) {
                const from = peer(socket);
                const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
                socket.destroy();
                onRejected(
                  new Error(
                    `TLS connection from ${from} dropped: ${
                      presented ? `client certificate not trusted (${String(socket.authorizationError)})` : 'no client certificate'
                    }`,
                  ),
                );
                return;
              }
              onConnection(socket);
            },
          );
        } catch (e) {
          throw new Error(`TLS transport: cannot use the certificate and private key: ${(e as Error).message}`);
        }
        // remote addresses, for reports about connections that die in their handshake
        const addresses = new WeakMap<net.Socket, string>();
        server.on('connection', (raw: net.Socket) => addresses.set(raw, `${raw.remoteAddress}:${raw.remotePort}`));
        server.on('tlsClientError', (error: Error & { reason?: string }, socket: tls.TLSSocket) => {
          const parent = (socket as { _parent?: net.Socket })._parent;
          const from = peer(socket, parent ? addresses.get(parent) : undefined);
          socket.destroy();
          onRejected(new Error(`TLS connection from ${from} dropped: ${error.reason ?? error.message}`));
        });
        return server;
      },
    };
    super({ ...rest, socketFactory: factory });
  }
}

function peer(socket: net.Socket, known?: string): string {
  if (socket.remoteAddress) return `${socket.remoteAddress}:${socket.remotePort}`;
  return known ?? 'an unknown peer';
}
