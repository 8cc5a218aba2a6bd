import net from 'node:net';

/**
 * Limits of a stream listener (SIP over TCP or TLS), against connection floods and
 * slowloris peers. See {@link ConnectionGuard}.
 */
export interface StreamConnectionLimits {
  /** Connections at once, TLS handshakes included. At the limit, see {@link ConnectionGuard}. */
  maxConnections: number;
  /** Connections at once from one IP address; more are closed as soon as they are accepted. */
  maxConnectionsPerAddress: number;
  /** A message's bytes, from its first to its last, must arrive within this (ms). */
  messageTimeoutMs: number;
  /** A new connection must complete its first message within this (ms). */
  firstMessageTimeoutMs: number;
  /** A connection that has carried a message is closed after this long without a byte (ms); 0 = never. */
  idleTimeoutMs: number;
}

/**
 * Defaults: 1024 connections, 256 per address (an SBC that opens one connection per
 * call needs its peak calls), 10 s for a message, 30 s for a new connection's first
 * message, and 15 min without a byte (RFC 5626 keep-alives come every 95-120 s).
 */
export const DEFAULT_STREAM_CONNECTION_LIMITS: StreamConnectionLimits = {
  maxConnections: 1024,
  maxConnectionsPerAddress: 256,
  messageTimeoutMs: 10_000,
  firstMessageTimeoutMs: 30_000,
  idleTimeoutMs: 15 * 60_000,
};

/** Why the guard closed a connection. */
export type ConnectionLimitReason =
  /** refused at once: its address already had `maxConnectionsPerAddress` */
  | 'address-limit'
  /** refused at once: `maxConnections` open, and none had yet to complete a message */
  | 'total-limit'
  /** closed to make room for a new one: the oldest connection that never completed a message */
  | 'evicted'
  /** a message started and did not complete within `messageTimeoutMs` */
  | 'message-timeout'
  /** no complete message within `firstMessageTimeoutMs` of the connection's opening */
  | 'first-message-timeout'
  /** no byte for `idleTimeoutMs` */
  | 'idle-timeout';

export interface ConnectionLimitEvent {
  reason: ConnectionLimitReason;
  address: string;
  port: number;
  /** what the limit was, for the log line */
  detail: string;
}

export type ConnectionLimitCounts = Record<ConnectionLimitReason, number>;

/** One accepted connection, as the guard sees it. */
export class GuardedConnection {
  /** Has carried at least one complete SIP message. */
  completed = false;
  /** When the message in progress got its first byte (undefined: none in progress). */
  messageStartedAt?: number;
  /** The socket SIP is read from when it is not `raw` (TLS). */
  carrier?: net.Socket;

  constructor(
    readonly raw: net.Socket,
    readonly address: string,
    readonly port: number,
    readonly openedAt: number,
  ) {}

  /** Called after each chunk was framed: `partial` when a message is incomplete. */
  progress(partial: boolean, now: number): void {
    if (!partial) this.messageStartedAt = undefined;
    else if (this.messageStartedAt === undefined) this.messageStartedAt = now;
  }

  /** A complete SIP message arrived. */
  message(): void {
    this.completed = true;
    this.messageStartedAt = undefined;
  }

  destroy(): void {
    this.carrier?.destroy();
    this.raw.destroy();
  }
}

/**
 * Admission and deadlines of a stream listener's connections:
 * - a new connection from an address that already has `maxConnectionsPerAddress` is
 *   closed at once;
 * - at `maxConnections`, the oldest connection that has never completed a SIP message
 *   (idle, slow, or still in its TLS handshake) is closed to make room; only when every
 *   connection has completed a message is the new one closed instead, so a flood of
 *   idle connections cannot keep a genuine client out;
 * - a message must arrive whole within `messageTimeoutMs` of its first byte (slowloris),
 *   and a new connection must complete its first message within `firstMessageTimeoutMs`;
 *   both are checked by one timer for all connections (nothing per message);
 * - idle connections are closed after `idleTimeoutMs` (the socket's own timeout).
 */
export class ConnectionGuard {
  /** every admitted connection, oldest first, by `address|port` */
  private readonly open = new Map<string, GuardedConnection>();
  private readonly perAddress = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;
  readonly counts: ConnectionLimitCounts = {
    'address-limit': 0,
    'total-limit': 0,
    evicted: 0,
    'message-timeout': 0,
    'first-message-timeout': 0,
    'idle-timeout': 0,
  };

  constructor(
    readonly limits: StreamConnectionLimits,
    private readonly onLimit: (event: ConnectionLimitEvent) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Connections open from this address. */
  countFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** Starts the deadline checks. */
  start(): void {
    const shortest = Math.min(this.limits.messageTimeoutMs, this.limits.firstMessageTimeoutMs);
    const every = Math.max(25, Math.min(1000, Math.floor(shortest / 4)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /**
   * A connection was accepted (before any TLS handshake). Returns its record, or
   * undefined when it was closed (over a limit).
   */
  admit(raw: net.Socket): GuardedConnection | undefined {
    const address = raw.remoteAddress ?? '';
    const port = raw.remotePort ?? 0;
    const { maxConnections, maxConnectionsPerAddress } = this.limits;
    if (this.countFrom(address) >= maxConnectionsPerAddress) {
      this.refuse(raw, 'address-limit', address, port, `${maxConnectionsPerAddress} connections from this address already open`);
      return undefined;
    }
    if (this.open.size >= maxConnections) {
      const victim = this.oldestIncomplete();
      if (!victim) {
        this.refuse(raw, 'total-limit', address, port, `${maxConnections} connections open, all of them carrying SIP`);
        return undefined;
      }
      this.close(victim, 'evicted', `${maxConnections} connections open; the oldest that never completed a message makes room`);
    }
    const conn = new GuardedConnection(raw, address, port, this.now());
    this.open.set(keyOf(address, port), conn);
    this.perAddress.set(address, this.countFrom(address) + 1);
    raw.once('close', () => this.forget(conn));
    return conn;
  }

  /** Takes a closed (or closing) connection out of the counts. */
  private forget(conn: GuardedConnection): void {
    const key = keyOf(conn.address, conn.port);
    if (this.open.get(key) !== conn) return;
    this.open.delete(key);
    const left = this.countFrom(conn.address) - 1;
    if (left > 0) this.perAddress.set(conn.address, left);
    else this.perAddress.delete(conn.address);
  }

  /** The record of an admitted connection, from the socket SIP is read from (raw or TLS). */
  find(socket: net.Socket): GuardedConnection | undefined {
    return this.open.get(keyOf(socket.remoteAddress ?? '', socket.remotePort ?? 0));
  }

  /** The socket's idle timer fired. */
  idle(conn: GuardedConnection): void {
    this.close(conn, 'idle-timeout', `no byte for ${this.limits.idleTimeoutMs / 1000} s`);
  }

  /** Closes connections past their deadlines (public for tests). */
  sweep(): void {
    const now = this.now();
    const { messageTimeoutMs, firstMessageTimeoutMs } = this.limits;
    for (const conn of this.open.values()) {
      if (conn.messageStartedAt !== undefined && now - conn.messageStartedAt > messageTimeoutMs) {
        this.close(conn, 'message-timeout', `a message incomplete ${messageTimeoutMs / 1000} s after its first byte`);
      } else if (!conn.completed && now - conn.openedAt > firstMessageTimeoutMs) {
        this.close(conn, 'first-message-timeout', `no complete message ${firstMessageTimeoutMs / 1000} s after connecting`);
      }
    }
  }

  private oldestIncomplete(): GuardedConnection | undefined {
    for (const conn of this.open.values()) if (!conn.completed) return conn;
    return undefined;
  }

  private close(conn: GuardedConnection, reason: ConnectionLimitReason, detail: string): void {
    this.counts[reason]++;
    this.forget(conn);
    conn.destroy();
    this.onLimit({ reason, address: conn.address, port: conn.port, detail });
  }

  private refuse(raw: net.Socket, reason: ConnectionLimitReason, address: string, port: number, detail: string): void {
    this.counts[reason]++;
    raw.destroy();
    this.onLimit({ reason, address, port, detail });
  }
}

function keyOf(address: string, port: number): string {
  return `${address}|${port}`;
}
