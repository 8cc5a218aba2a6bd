/*
 * The native RTP receive path (native/mvr_rtp.c, built by scripts/build-native-rtp.sh):
 * one background thread reads every RTP socket of the process (epoll + recvmmsg) and hands
 * the datagrams over in batches, one JavaScript call per batch instead of one per datagram.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import type { BoundRtpSocket, DatagramHandler } from './rtpSocket';

/** Where scripts/build-native-rtp.sh puts the addon: the package's `native/build` (absent from its tarball). */
export const NATIVE_RTP_ADDON = 'native/build/Release/mvr_rtp.node';

interface NativeReceiverHandle {
  readonly __brand: 'mvr_rtp receiver';
}

export interface NativeRtpStats {
  sockets: number;
  datagrams: number;
  batches: number;
  /** datagrams larger than 64 KiB (dropped) */
  truncated: number;
  errors: number;
}

/** The addon's functions (native/mvr_rtp.c). */
export interface MvrRtpAddon {
  start(
    /** `token` non-zero: the answer to sync(receiver, token), after every datagram read before it */
    onBatch: (batch: Buffer | undefined, count: number, token: number) => void,
    options?: {
      flushMs?: number;
      batchBytes?: number;
      receiveBufferBytes?: number;
    },
  ): NativeReceiverHandle;
  open(
    receiver: NativeReceiverHandle,
    address: string,
    port: number,
  ): [number, number];
  close(receiver: NativeReceiverHandle, id: number): boolean;
  stop(receiver: NativeReceiverHandle): void;
  sync(receiver: NativeReceiverHandle, token: number): void;
  stats(receiver: NativeReceiverHandle): NativeRtpStats;
  addressText(batch: Buffer, recordOffset: number): string;
  /** syncfs(2) on libuv's pool (native/mvr_syncfs.c): the call journals' group commit; absent in builds before it */
  syncfs?(fd: number): Promise<void>;
  RECORD_HEADER_BYTES: number;
}

let loadedAddon: MvrRtpAddon | null | undefined;
let loadError: string | undefined;

/** The addon when it was built and loads here, else null (why: nativeRtpLoadError()). */
export function mvrRtpAddon(): MvrRtpAddon | null {
  if (loadedAddon === undefined) {
    loadedAddon = null;
    if (process.platform !== 'linux') {
      loadError = `the native RTP receiver is Linux only (this is ${process.platform})`;
    } else {
      let path = NATIVE_RTP_ADDON;
      try {
        path = resolvePackagePath(
          '@mvr/plugin-voice-recording-backend-module-siprec',
          NATIVE_RTP_ADDON,
        );
        // a file built on this machine, not a module: loaded by path
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        loadedAddon = require(path) as MvrRtpAddon;
      } catch (e) {
        loadError = `${path} does not load (${
          (e as Error).message.split('\n')[0]
        }); build it with scripts/build-native-rtp.sh`;
      }
    }
  }
  return loadedAddon;
}

export function nativeRtpLoadError(): string | undefined {
  mvrRtpAddon();
  return loadError;
}

/** Record layout of a batch (native/mvr_rtp.c): u32 id, u16 length, u16 port, u8 family, pad, 16 bytes address. */
const HEADER = 28;

const errnoNames: Record<number, string> = Object.fromEntries(
  Object.entries(os.constants.errno).map(([name, n]) => [n, name]),
);

class NativeRtpSocket implements BoundRtpSocket {
  handler?: DatagramHandler;
  errorHandler?: (error: Error) => void;
  /** the last source, compared as numbers so that its text is built only when it changes */
  private family = -1;
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;
  private text = '';
  private released?: Promise<void>;

  constructor(
    private readonly receiver: NativeRtpReceiver,
    readonly id: number,
    readonly port: number,
  ) {}

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  /** The source address of the record at `offset` of `batch`, as text. */
  source(batch: Buffer, offset: number, family: number): string {
    const a = offset + 12;
    const w0 = batch.readUInt32LE(a);
    if (family === 4) {
      if (this.family === 4 && w0 === this.w0) return this.text;
      this.w1 = this.w2 = this.w3 = 0;
    } else {
      const w1 = batch.readUInt32LE(a + 4);
      const w2 = batch.readUInt32LE(a + 8);
      const w3 = batch.readUInt32LE(a + 12);
      if (
        this.family === 6 &&
        w0 === this.w0 &&
        w1 === this.w1 &&
        w2 === this.w2 &&
        w3 === this.w3
      )
        return this.text;
      this.w1 = w1;
      this.w2 = w2;
      this.w3 = w3;
    }
    this.family = family;
    this.w0 = w0;
    this.text = this.receiver.addon.addressText(batch, offset);
    return this.text;
  }

  settle(): Promise<void> {
    return this.receiver.sync();
  }

  release(): Promise<void> {
    this.released ??= Promise.resolve(this.receiver.close(this));
    return this.released;
  }
}

export interface NativeRtpReceiverOptions {
  /** a batch goes to JavaScript at most this long after its first datagram (default 5) */
  flushMs?: number;
  /** or when it holds this many bytes (default 256 KiB) */
  batchBytes?: number;
  /** SO_RCVBUF of each socket (default 256 KiB; the kernel caps it at net.core.rmem_max) */
  receiveBufferBytes?: number;
}

/**
 * RTP sockets read by the addon's thread. Datagrams of a socket released while its batch
 * was queued are dropped here (its id is no longer known).
 */
export class NativeRtpReceiver {
  private handle?: NativeReceiverHandle;
  private readonly sockets = new Map<number, NativeRtpSocket>();
  private stopped = false;
  private syncToken = 0;
  private readonly syncWaiters: Array<{ token: number; resolve: () => void }> =
    [];

  constructor(
    readonly addon: MvrRtpAddon,
    private readonly options: NativeRtpReceiverOptions = {},
  ) {}

  private started(): NativeReceiverHandle {
    if (this.stopped) throw new Error('the native RTP receiver is stopped');
    this.handle ??= this.addon.start(
      (batch, count, token) => this.dispatch(batch, count, token),
      {
        flushMs: this.options.flushMs ?? 5,
        batchBytes: this.options.batchBytes ?? 256 * 1024,
        receiveBufferBytes: this.options.receiveBufferBytes ?? 256 * 1024,
      },
    );
    return this.handle;
  }

  /** Binds a UDP socket to host:port (0: any free port); rejects with e.code EADDRINUSE and the like. */
  async bind(host: string, port: number): Promise<BoundRtpSocket> {
    const address = net.isIP(host)
      ? host
      : (await dns.promises.lookup(host)).address;
    const handle = this.started();
    const [id, bound] = this.addon.open(handle, address, port);
    const socket = new NativeRtpSocket(this, id, bound);
    this.sockets.set(id, socket);
    return socket;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  stats(): NativeRtpStats | undefined {
    return this.handle && !this.stopped
      ? this.addon.stats(this.handle)
      : undefined;
  }

  close(socket: NativeRtpSocket): void {
    if (this.sockets.get(socket.id) !== socket) return;
    this.sockets.delete(socket.id);
    if (this.handle && !this.stopped) this.addon.close(this.handle, socket.id);
  }

  /**
   * Resolves once every datagram the sockets held when it was called has been delivered
   * (the thread reads them at once and answers after them).
   */
  sync(): Promise<void> {
    if (!this.handle || this.stopped) return Promise.resolve();
    this.syncToken = this.syncToken >= 0xffffffff ? 1 : this.syncToken + 1;
    const token = this.syncToken;
    return new Promise(resolve => {
      this.syncWaiters.push({ token, resolve });
      this.addon.sync(this.handle!, token);
    });
  }

  /** Closes every socket and joins the thread. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sockets.clear();
    if (this.handle) this.addon.stop(this.handle);
    for (const w of this.syncWaiters.splice(0)) w.resolve();
  }

  private dispatch(
    batch: Buffer | undefined,
    count: number,
    token: number,
  ): void {
    if (batch) this.deliver(batch, count);
    if (token) {
      // tokens are answered in order: this one and every earlier one
      const at = this.syncWaiters.findIndex(w => w.token === token);
      for (const w of this.syncWaiters.splice(0, at + 1)) w.resolve();
    }
  }

  private deliver(batch: Buffer, count: number): void {
    let o = 0;
    for (let i = 0; i < count; i++) {
      const id = batch.readUInt32LE(o);
      const length = batch.readUInt16LE(o + 4);
      const port = batch.readUInt16LE(o + 6);
      const family = batch[o + 8];
      const start = o + HEADER;
      const record = o;
      o = start + length;
      const socket = this.sockets.get(id);
      if (!socket) continue; // released after the thread read it
      if (family === 0) {
        const code = errnoNames[port] ?? `errno ${port}`;
        const error = Object.assign(
          new Error(`recvmmsg ${code} (RTP port ${socket.port})`),
          { code, syscall: 'recvmmsg' },
        );
        socket.errorHandler?.(error);
        continue;
      }
      const handler = socket.handler;
      if (!handler) continue;
      try {
        handler(
          batch.subarray(start, o),
          socket.source(batch, record, family),
          port,
        );
      } catch (e) {
        socket.errorHandler?.(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}
