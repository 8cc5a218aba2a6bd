/*
 * How the recorder receives RTP: a bound UDP socket seen only through BoundRtpSocket, with
 * two implementations chosen once per process (docs/recorder.md): the native receiver
 * (nativeRtp.ts: one thread, datagrams in batches; the default where its addon loads,
 * Linux) and node:dgram (one socket object and one callback per datagram; the fallback).
 * MVR_RTP_IMPL=dgram forces node:dgram, MVR_RTP_IMPL=native requires the addon.
 */
import dgram from 'node:dgram';
import {
  NativeRtpReceiver,
  mvrRtpAddon,
  nativeRtpLoadError,
} from './nativeRtp';

/** One datagram: its bytes (valid for as long as they are referenced), source address and port. */
export type DatagramHandler = (
  datagram: Buffer,
  address: string,
  port: number,
) => void;

/** A bound RTP socket and its port. */
export interface BoundRtpSocket {
  port: number;
  /** Where the socket's datagrams go (one handler; a later call replaces it). */
  onDatagram(handler: DatagramHandler): void;
  /** Receive errors of the socket. */
  onError(handler: (error: Error) => void): void;
  /**
   * Resolves once the datagrams that reached the socket before the call have gone to the
   * handler (before a call's last flush: the native path hands datagrams over in batches).
   */
  settle(): Promise<void>;
  /** Closes the socket and gives the port back; datagrams not yet delivered are dropped. */
  release(): Promise<void>;
}

/** Binds RTP sockets one way. */
export interface RtpSocketFactory {
  readonly name: RtpImplName;
  /** Binds host:port (0: a free port the OS picks); rejects with Node's error (e.code EADDRINUSE, ...). */
  bind(host: string, port: number): Promise<BoundRtpSocket>;
}

export type RtpImplName = 'native' | 'dgram';

class DgramSocket implements BoundRtpSocket {
  private released?: Promise<void>;
  constructor(private readonly socket: dgram.Socket, readonly port: number) {}

  onDatagram(handler: DatagramHandler): void {
    this.socket.removeAllListeners('message');
    this.socket.on('message', (buf, rinfo) =>
      handler(buf, rinfo.address, rinfo.port),
    );
  }

  onError(handler: (error: Error) => void): void {
    this.socket.removeAllListeners('error');
    this.socket.on('error', handler);
  }

  settle(): Promise<void> {
    // libuv reads what is ready in the poll phase, before setImmediate's callbacks
    return new Promise(resolve => setImmediate(resolve));
  }

  release(): Promise<void> {
    this.released ??= new Promise(resolve => {
      this.socket.removeAllListeners('message');
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.released;
  }
}

/** node:dgram: one socket object per stream, one callback per datagram. */
export const dgramRtpSockets: RtpSocketFactory = {
  name: 'dgram',
  bind(host, port) {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({
        type: host.includes(':') ? 'udp6' : 'udp4',
        recvBufferSize: 256 * 1024,
      });
      const onError = (e: Error) => {
        socket.close();
        reject(e);
      };
      socket.once('error', onError);
      socket.bind(port, host, () => {
        socket.off('error', onError);
        resolve(new DgramSocket(socket, socket.address().port));
      });
    });
  },
};

/** Sockets of one native receiver (its own thread). */
export function nativeRtpSockets(
  receiver: NativeRtpReceiver,
): RtpSocketFactory & { receiver: NativeRtpReceiver } {
  return {
    name: 'native',
    receiver,
    bind: (host, port) => receiver.bind(host, port),
  };
}

export interface RtpReceivePath {
  factory: RtpSocketFactory;
  /** one line for the log and the bench: which path and why */
  description: string;
}

/** the process's paths, by MVR_RTP_IMPL value (one in production; tests run both) */
const processPaths = new Map<string, RtpReceivePath>();
let nativeReceiver: NativeRtpReceiver | undefined;

/**
 * The process's RTP receive path from MVR_RTP_IMPL (auto when unset: native where the
 * addon loads), chosen once per value; all native sockets of the process share one
 * receiver thread. Throws when MVR_RTP_IMPL is invalid, or native and the addon does not load.
 */
export function rtpReceivePath(
  env: NodeJS.ProcessEnv = process.env,
): RtpReceivePath {
  const wanted = (env.MVR_RTP_IMPL ?? '').trim().toLowerCase() || 'auto';
  const known = processPaths.get(wanted);
  if (known) return known;
  if (!['auto', 'native', 'dgram'].includes(wanted)) {
    throw new Error(
      `MVR_RTP_IMPL=${env.MVR_RTP_IMPL}: expected native, dgram or auto (unset)`,
    );
  }
  let path: RtpReceivePath;
  const addon = wanted === 'dgram' ? null : mvrRtpAddon();
  if (wanted === 'dgram') {
    path = {
      factory: dgramRtpSockets,
      description: 'node:dgram (MVR_RTP_IMPL=dgram)',
    };
  } else if (!addon) {
    if (wanted === 'native')
      throw new Error(`MVR_RTP_IMPL=native: ${nativeRtpLoadError()}`);
    path = {
      factory: dgramRtpSockets,
      description: `node:dgram (${nativeRtpLoadError()})`,
    };
  } else {
    nativeReceiver ??= new NativeRtpReceiver(addon);
    path = {
      factory: nativeRtpSockets(nativeReceiver),
      description:
        'native (epoll + recvmmsg on one thread, batches of up to 5 ms)',
    };
  }
  processPaths.set(wanted, path);
  return path;
}
