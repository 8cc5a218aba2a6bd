import { EventEmitter } from 'node:events';
import net from 'node:net';
import { SipMessage, serializeSipMessage } from '../message';
import { StreamFramer } from './streamFramer';
import { DEFAULT_MAX_MESSAGE_SIZE, RemoteAddress } from './types';
import type { TransportEvents } from './udpTransport';

export interface TcpTransportOptions {
  host?: string;
  port: number;
  maxMessageSize?: number;
  /** Close connections idle for this long (ms); 0 = never (default). */
  idleTimeoutMs?: number;
  /** Refuse connections above this number (protects file descriptors). */
  maxConnections?: number;
  answerParseErrors?: boolean;
}

interface Connection {
  id: string;
  socket: net.Socket;
  framer: StreamFramer;
}

/**
 * SIP over TCP: a {@link StreamFramer} per connection; responses go back on
 * the connection the request came in on (RFC 3261 §18.2.2), or on a new
 * connection to the remote when it has gone.
 */
export class TcpTransport extends EventEmitter<TransportEvents> {
  private server?: net.Server;
  private readonly connections = new Map<string, Connection>();
  private nextId = 1;

  constructor(private readonly options: TcpTransportOptions) {
    super();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  start(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      const server = net.createServer(socket => this.adopt(socket));
      if (this.options.maxConnections) server.maxConnections = this.options.maxConnections;
      this.server = server;
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        server.on('error', e => this.emit('transportError', e));
        const a = server.address() as net.AddressInfo;
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  private adopt(socket: net.Socket): Connection {
    const id = `tcp-${this.nextId++}`;
    const remote: RemoteAddress = {
      transport: 'tcp',
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      connectionId: id,
    };
    const framer = new StreamFramer({
      maxMessageSize: this.options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      onMessage: message => this.emit('message', message, remote),
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
    socket.on('data', (chunk: Buffer | string) =>
      framer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)),
    );
    socket.on('error', e => this.emit('transportError', e));
    socket.on('close', () => this.connections.delete(id));
    if (this.options.idleTimeoutMs) {
      socket.setTimeout(this.options.idleTimeoutMs, () => socket.destroy());
    }
    return conn;
  }

  async send(message: SipMessage | Buffer, remote: RemoteAddress): Promise<void> {
    const bytes = Buffer.isBuffer(message) ? message : serializeSipMessage(message);
    let conn = remote.connectionId ? this.connections.get(remote.connectionId) : undefined;
    if (!conn || conn.socket.destroyed || !conn.socket.writable) {
      conn = await this.connect(remote.address, remote.port);
    }
    const socket = conn.socket;
    await new Promise<void>((resolve, reject) =>
      socket.write(bytes, err => (err ? reject(err) : resolve())),
    );
  }

  private connect(address: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(this.adopt(socket));
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.connections.values()) c.socket.destroy();
    this.connections.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise(resolve => server.close(() => resolve()));
  }
}
