import { BoundRtpSocket, RtpSocketFactory, rtpReceivePath } from './rtpSocket';

export type { BoundRtpSocket } from './rtpSocket';

export interface PortAllocatorOptions {
  /** Address the RTP sockets bind to. */
  host: string;
  /**
   * Inclusive RTP port range; even ports are used (RTP convention). Absent: ephemeral
   * ports chosen by the OS (tests).
   */
  range?: { min: number; max: number };
  /** How sockets are bound and read (default: the process's choice, rtpReceivePath()). */
  sockets?: RtpSocketFactory;
}

export class NoRtpPortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoRtpPortError';
  }
}

/**
 * Hands out RTP sockets from the configured range: even ports, round robin (a port
 * just released is not reused at once, so late packets of an old call do not land in
 * a new one), skipping ports another process holds.
 */
export class PortAllocator {
  private readonly inUse = new Set<number>();
  private next: number;
  private readonly sockets: RtpSocketFactory;

  constructor(private readonly options: PortAllocatorOptions) {
    const r = options.range;
    if (r) {
      if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < 1024 || r.max > 65535 || r.max - r.min < 1) {
        throw new Error(`invalid RTP port range ${r.min}-${r.max}: expected 1024 <= min < max <= 65535`);
      }
    }
    this.next = r ? r.min + (r.min % 2) : 0;
    this.sockets = options.sockets ?? rtpReceivePath().factory;
  }

  /** Which receive path the sockets use. */
  get implementation(): RtpSocketFactory['name'] {
    return this.sockets.name;
  }

  get allocated(): number {
    return this.inUse.size;
  }

  async allocate(): Promise<BoundRtpSocket> {
    const r = this.options.range;
    if (!r) return this.sockets.bind(this.options.host, 0);
    const first = r.min + (r.min % 2);
    const slots = Math.floor((r.max - first) / 2) + 1;
    let lastError: unknown;
    for (let i = 0; i < slots; i++) {
      const port = this.next;
      this.next = port + 2 > r.max ? first : port + 2;
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      try {
        return this.wrap(await this.sockets.bind(this.options.host, port));
      } catch (e) {
        this.inUse.delete(port);
        lastError = e;
      }
    }
    throw new NoRtpPortError(
      `no free RTP port in ${r.min}-${r.max} on ${this.options.host} (${this.inUse.size} in use${
        lastError ? `; last error: ${(lastError as Error).message}` : ''
      })`,
    );
  }

  /** The range's port is given back when the socket is released. */
  private wrap(socket: BoundRtpSocket): BoundRtpSocket {
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.inUse.delete(socket.port);
      }
      return socket.release();
    };
    return {
      port: socket.port,
      onDatagram: handler => socket.onDatagram(handler),
      onError: handler => socket.onError(handler),
      settle: () => socket.settle(),
      release,
    };
  }
}
