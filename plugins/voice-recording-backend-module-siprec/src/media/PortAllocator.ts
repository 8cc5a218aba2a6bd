import dgram from 'node:dgram';

/** A bound RTP socket and its port. */
export interface BoundRtpSocket {
  socket: dgram.Socket;
  port: number;
  /** Closes the socket and gives the port back. */
  release(): Promise<void>;
}

export interface PortAllocatorOptions {
  /** Address the RTP sockets bind to. */
  host: string;
  /**
   * Inclusive RTP port range; even ports are used (RTP convention). Absent: ephemeral
   * ports chosen by the OS (tests).
   */
  range?: { min: number; max: number };
}

export class NoRtpPortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoRtpPortError';
  }
}

function bind(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const onError = (e: Error) => {
      socket.close();
      reject(e);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Hands out RTP sockets from the configured range: even ports, round robin (a port
 * just released is not reused at once, so late packets of an old call do not land in
 * a new one), skipping ports another process holds.
 */
export class PortAllocator {
  private readonly inUse = new Set<number>();
  private next: number;

  constructor(private readonly options: PortAllocatorOptions) {
    const r = options.range;
    if (r) {
      if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < 1024 || r.max > 65535 || r.max - r.min < 1) {
        throw new Error(`invalid RTP port range ${r.min}-${r.max}: expected 1024 <= min < max <= 65535`);
      }
    }
    this.next = r ? r.min + (r.min % 2) : 0;
  }

  get allocated(): number {
    return this.inUse.size;
  }

  async allocate(): Promise<BoundRtpSocket> {
    const r = this.options.range;
    if (!r) return this.wrap(await bind(this.options.host, 0));
    const first = r.min + (r.min % 2);
    const slots = Math.floor((r.max - first) / 2) + 1;
    let lastError: unknown;
    for (let i = 0; i < slots; i++) {
      const port = this.next;
      this.next = port + 2 > r.max ? first : port + 2;
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      try {
        return this.wrap(await bind(this.options.host, port));
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

  private wrap(socket: dgram.Socket): BoundRtpSocket {
    const port = socket.address().port;
    let released = false;
    return {
      socket,
      port,
      release: () => {
        if (released) return Promise.resolve();
        released = true;
        if (this.options.range) this.inUse.delete(port);
        return new Promise(resolve => {
          try {
            socket.close(() => resolve());
          } catch {
            resolve();
          }
        });
      },
    };
  }
}
