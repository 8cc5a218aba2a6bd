import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import {
  SipMessage,
  SipParseError,
  buildParseErrorResponse,
  parseSipMessage,
  serializeSipMessage,
} from '../message';
import type { ConnectionLimitEvent } from './connectionGuard';
import { DEFAULT_MAX_MESSAGE_SIZE, ParseErrorInfo, RemoteAddress } from './types';

export interface UdpTransportOptions {
  host?: string;
  port: number;
  /** Datagrams larger than this are dropped (and answered 513 when addressable). */
  maxMessageSize?: number;
  /** Send the 400 for unparseable but addressable requests (default true). */
  answerParseErrors?: boolean;
  type?: 'udp4' | 'udp6';
}

export interface TransportEvents {
  message: [message: SipMessage, remote: RemoteAddress];
  parseError: [info: ParseErrorInfo, remote: RemoteAddress];
  transportError: [error: Error];
  /** Stream transports: a connection refused or closed by the connection limits. */
  connectionLimit: [event: ConnectionLimitEvent & { transport: 'tcp' | 'tls' }];
}

/** SIP over UDP (RFC 3261 §18): one message per datagram. */
export class UdpTransport extends EventEmitter<TransportEvents> {
  private socket?: dgram.Socket;
  private bound = false;
  private readonly max: number;

  constructor(private readonly options: UdpTransportOptions) {
    super();
    this.max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** Binds the socket; resolves with the bound address (port 0 → ephemeral). */
  start(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: this.options.type ?? 'udp4', reuseAddr: false });
      this.socket = socket;
      socket.once('error', reject);
      socket.on('message', (buf, rinfo) => this.receive(buf, { transport: 'udp', address: rinfo.address, port: rinfo.port }));
      socket.bind(this.options.port, this.options.host, () => {
        socket.off('error', reject);
        socket.on('error', e => this.emit('transportError', e));
        this.bound = true;
        const a = socket.address();
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /** Handles one datagram (public so it can be driven without a socket). */
  receive(buf: Buffer, remote: RemoteAddress): void {
    // CRLF keep-alive (RFC 5626 §3.5.1 uses STUN on UDP; tolerate bare CRLFs).
    if (buf.every(b => b === 0x0d || b === 0x0a)) return;
    let info: ParseErrorInfo;
    if (buf.length > this.max) {
      const error = new SipParseError('Message Too Large', `${buf.length} > ${this.max} bytes`);
      info = { error, raw: buf, fatal: false };
    } else {
      try {
        const message = parseSipMessage(buf);
        this.emit('message', message, remote);
        return;
      } catch (e) {
        const error = e instanceof SipParseError ? e : new SipParseError('Malformed message', String(e));
        info = { error, raw: buf, response: buildParseErrorResponse(error), fatal: false };
      }
    }
    this.emit('parseError', info, remote);
    if (info.response && this.options.answerParseErrors !== false) {
      this.send(info.response, remote).catch(err => this.emit('transportError', err));
    }
  }

  send(message: SipMessage | Buffer, remote: RemoteAddress): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('UDP transport is not started'));
    const bytes = Buffer.isBuffer(message) ? message : serializeSipMessage(message);
    return new Promise((resolve, reject) => {
      socket.send(bytes, remote.port, remote.address, err => (err ? reject(err) : resolve()));
    });
  }

  /** Bound and not closed (the recorder's health). */
  get listening(): boolean {
    return this.bound && this.socket !== undefined;
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.bound = false;
    if (!socket) return Promise.resolve();
    return new Promise(resolve => socket.close(() => resolve()));
  }
}
