import { EventEmitter } from 'node:events';
import net from 'node:net';
import { SipMessage, serializeSipMessage } from '../message';
import {
  ConnectionGuard,
  ConnectionLimitCounts,
  DEFAULT_STREAM_CONNECTION_LIMITS,
  GuardedConnection,
  StreamConnectionLimits,
} from './connectionGuard';
import { responseTarget } from './responseTarget';
import { StreamFramer } from './streamFramer';
import { DEFAULT_MAX_MESSAGE_SIZE, RemoteAddress } from './types';
import type { TransportEvents } from './udpTransport';

/**
 * How a stream transport listens and connects: plain TCP (the default), or TLS
 * ({@link TlsTransport}). Framing, connection bookkeeping and response routing
 * are the same for both and live in {@link TcpTransport}.
 */
export interface StreamSocketFactory {
  /** Transport name in {@link RemoteAddress} and connection ids. */
  readonly name: 'tcp' | 'tls';
  /**
   * A server that calls `onConnection` with each socket ready to carry SIP (for
   * TLS: after the handshake). `onRejected` reports connections dropped before
   * that (failed TLS handshake, plain TCP on a TLS port, ...).
   */
  createServer(onConnection: (socket: net.Socket) => void, onRejected: (error: Error) => void): net.Server;
  /**
   * Opens a new connection to send a response whose connection has gone
   * (RFC 3261 §18.2.2). Absent: such responses are not sent (the send fails).
   */
  connect?(address: string, port: number): Promise<net.Socket>;
}

export interface TcpTransportOptions {
  host?: string;
  port: number;
  maxMessageSize?: number;
  /**
   * Connection limits and deadlines (see {@link ConnectionGuard}); each one missing
   * takes its value from {@link DEFAULT_STREAM_CONNECTION_LIMITS}.
   */
  limits?: Partial<StreamConnectionLimits>;
  answerParseErrors?: boolean;
  /** How to listen and connect; default plain TCP. */
  socketFactory?: StreamSocketFactory;
}

interface Connection {
  id: string;
  socket: net.Socket;
  framer: StreamFramer;
}

/** Ports a response goes to when its connection has gone and Via's sent-by has none (RFC 3261 §18.2.2, §19.1.2). */
const DEFAULT_PORTS = { tcp: 5060, tls: 5061 } as const;

/** Plain TCP: `net.createServer`, and new connections for responses whose connection has gone. */
export const plainTcpSockets: StreamSocketFactory = {
  name: 'tcp',
  createServer: onConnection => net.createServer(onConnection),
  connect: (address, port) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
    }),
};

/**
 * SIP over a stream (TCP, or TLS through a {@link StreamSocketFactory}): a
 * {@link StreamFramer} per connection; responses go back on the connection the
 * request came in on (RFC 3261 §18.2.2), or on a new connection to the remote
 * when it has gone and the factory can connect.
 */
export class TcpTransport extends EventEmitter<TransportEvents> {
  private server?: net.Server;
  private readonly connections = new Map<string, Connection>();
  /** Every accepted socket, including TLS connections still in their handshake. */
  private readonly accepted = new Set<net.Socket>();
  private nextId = 1;
  private readonly sockets: StreamSocketFactory;
  private readonly guard: ConnectionGuard;

  constructor(private readonly options: TcpTransportOptions) {
    super();
    this.sockets = options.socketFactory ?? plainTcpSockets;
    this.guard = new ConnectionGuard({ ...DEFAULT_STREAM_CONNECTION_LIMITS, ...options.limits }, event =>
      this.emit('connectionLimit', { ...event, transport: this.sockets.name }),
    );
  }

  /** The limits in force. */
  get limits(): StreamConnectionLimits {
    return this.guard.limits;
  }

  /** Connections closed or refused by the limits, per reason, since the start. */
  get limitCounts(): Readonly<ConnectionLimitCounts> {
    return this.guard.counts;
  }

  /** `tcp` or `tls`. */
  get name(): 'tcp' | 'tls' {
    return this.sockets.name;
  }

  /** The listener accepts connections (the recorder's health). */
  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  start(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      const server = this.sockets.createServer(
        socket => {
          this.adopt(socket);
        },
        error => this.emit('transportError', error),
      );
      // before the factory's own listener: a connection over a limit goes no further
      server.prependListener('connection', (raw: net.Socket) => {
        if (!this.guard.admit(raw)) return;
        this.accepted.add(raw);
        raw.once('close', () => this.accepted.delete(raw));
      });
      this.server = server;
      this.guard.start();
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        server.on('error', e => this.emit('transportError', e));
        const a = server.address() as net.AddressInfo;
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /** `incoming`: accepted by the listener (guarded); otherwise opened to send a response. */
  private adopt(socket: net.Socket, incoming = true): Connection | undefined {
    let guarded: GuardedConnection | undefined;
    if (incoming) {
      guarded = this.guard.find(socket);
      // closed by the guard before the factory handed it over
      if (!guarded || socket.destroyed) return undefined;
      if (guarded.raw !== socket) guarded.carrier = socket;
    }
    const id = `${this.sockets.name}-${this.nextId++}`;
    const remote: RemoteAddress = {
      transport: this.sockets.name,
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      connectionId: id,
    };
    const framer = new StreamFramer({
      maxMessageSize: this.options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      onMessage: message => {
        guarded?.message();
        this.emit('message', message, remote);
      },
      onKeepAlive: () => {
        if (!socket.destroyed) socket.write('\r\n');
      },
      onError: info => {
        this.emit('parseError', info, remote);
        if (info.response && this.options.answerParseErrors !== false && !socket.destroyed) {
          socket.write(serializeSipMessage(info.response));
        }
        if (info.fatal) socket.end();
      },
    });
    const conn = { id, socket, framer };
    this.connections.set(id, conn);
    socket.on('data', (chunk: Buffer | string) => {
      framer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      guarded?.progress(framer.pending > 0, Date.now());
    });
    socket.on('error', e => this.emit('transportError', e));
    socket.on('close', () => this.connections.delete(id));
    const idle = this.guard.limits.idleTimeoutMs;
    if (idle) {
      socket.setTimeout(idle, () => {
        if (guarded) this.guard.idle(guarded);
        else socket.destroy();
      });
    }
    return conn;
  }

  /** True while the connection with this id is open and writable. */
  isOpen(connectionId: string | undefined): boolean {
    const conn = connectionId ? this.connections.get(connectionId) : undefined;
    return !!conn && !conn.socket.destroyed && conn.socket.writable;
  }

  /**
   * Sends on the connection `remote` names. When it has gone (RFC 3261 §18.2.2): a
   * response goes on a new connection to the request's source address and the port of
   * its top Via's sent-by (5060, TLS 5061, when it has none), not to the closed
   * connection's source port; a request to `remote`'s address and port.
   */
  async send(message: SipMessage | Buffer, remote: RemoteAddress): Promise<void> {
    const bytes = Buffer.isBuffer(message) ? message : serializeSipMessage(message);
    let conn = remote.connectionId ? this.connections.get(remote.connectionId) : undefined;
    if (!conn || conn.socket.destroyed || !conn.socket.writable) {
      const connect = this.sockets.connect;
      const name = this.sockets.name.toUpperCase();
      if (!connect) {
        throw new Error(
          `${name} connection ${remote.connectionId ?? '?'} to ${remote.address}:${remote.port} is closed ` +
            `(responses are only sent on the connection the request came in on)`,
        );
      }
      const to =
        !Buffer.isBuffer(message) && message.kind === 'response'
          ? responseTarget(message, remote, DEFAULT_PORTS[this.sockets.name])
          : { address: remote.address, port: remote.port };
      let socket: net.Socket;
      try {
        socket = await connect(to.address, to.port);
      } catch (e) {
        throw new Error(
          `${name} connection ${remote.connectionId ?? '?'} from ${remote.address}:${remote.port} is closed and a new one to ` +
            `${to.address}:${to.port}${'via' in to ? ` (${to.via})` : ''} failed: ${(e as Error).message}`,
        );
      }
      conn = this.adopt(socket, false)!;
    }
    const socket = conn.socket;
    await new Promise<void>((resolve, reject) =>
      socket.write(bytes, err => (err ? reject(err) : resolve())),
    );
  }

  close(): Promise<void> {
    this.guard.stop();
    for (const c of this.connections.values()) c.socket.destroy();
    for (const raw of this.accepted) raw.destroy();
    this.connections.clear();
    this.accepted.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise(resolve => server.close(() => resolve()));
  }
}
