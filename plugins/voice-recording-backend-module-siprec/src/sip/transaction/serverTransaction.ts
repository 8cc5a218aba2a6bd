import { SipParseError, SipRequest, SipResponse, buildResponse } from '../message';
import { RemoteAddress } from '../transport';
import { ackMatchKey, serverTransactionKey } from './key';
import { Timers, realTimers } from './timers';

export type ServerTransactionState =
  | 'trying'
  | 'proceeding'
  | 'completed'
  | 'confirmed'
  | 'accepted'
  | 'terminated';

export interface TransactionTimerConfig {
  /** RTT estimate (ms), default 500. */
  t1: number;
  /** Maximum retransmit interval (ms), default 4000. */
  t2: number;
  /** Maximum time a message stays in the network (ms), default 5000. */
  t4: number;
}

export interface ServerTransactionLayerOptions {
  send: (response: SipResponse, remote: RemoteAddress) => void;
  /** A new request (not a retransmission, not an ACK) for the transaction user. */
  onRequest: (tx: ServerTransaction) => void;
  /** ACK for a 2xx (matched to its INVITE when `tx` is set), or a stray ACK. */
  onAck?: (ack: SipRequest, remote: RemoteAddress, tx?: ServerTransaction) => void;
  /**
   * No ACK arrived within 64*T1 after a final response. For a 2xx the TU should
   * end the session (RFC 3261 §13.3.1.4).
   */
  onAckTimeout?: (tx: ServerTransaction) => void;
  /** A request whose transaction key could not be computed (bad Via/CSeq). */
  onUnmatchable?: (request: SipRequest, remote: RemoteAddress, error: SipParseError) => void;
  timers?: Timers;
  timerConfig?: Partial<TransactionTimerConfig>;
}

/**
 * One RFC 3261 server transaction (§17.2.1 INVITE with the RFC 6026 Accepted
 * state, §17.2.2 non-INVITE). Created by {@link ServerTransactionLayer}.
 */
export class ServerTransaction {
  state: ServerTransactionState;
  lastResponse?: SipResponse;
  /** True once an ACK for the final response arrived (INVITE only). */
  acked = false;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  private retransmitTimer?: unknown;
  private lifetimeTimer?: unknown;
  private retransmitInterval: number;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly remote: RemoteAddress,
    private readonly layer: ServerTransactionLayer,
  ) {
    this.isInvite = request.method === 'INVITE';
    this.reliable = remote.transport !== 'udp';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.retransmitInterval = layer.config.t1;
  }

  get method(): string {
    return this.request.method;
  }

  /** Sends a response through the transaction, driving its state machine. */
  respond(response: SipResponse): void {
    const status = response.status;
    const final = status >= 200;
    const allowed =
      this.state === 'trying' ||
      this.state === 'proceeding' ||
      // the TU may re-send the 2xx (RFC 6026 Accepted state)
      (this.state === 'accepted' && status >= 200 && status < 300);
    if (!allowed) {
      throw new Error(
        `cannot send ${status} for ${this.method} transaction ${this.key} in state ${this.state}`,
      );
    }
    this.lastResponse = response;
    this.transmit();
    if (!final) {
      if (this.state === 'trying') this.state = 'proceeding';
      return;
    }
    const { t1 } = this.layer.config;
    if (!this.isInvite) {
      this.state = 'completed';
      // Timer J: absorb retransmissions for 64*T1 on UDP.
      this.startLifetime(this.reliable ? 0 : 64 * t1, () => this.terminate());
      return;
    }
    if (this.state === 'accepted') return;
    this.state = status < 300 ? 'accepted' : 'completed';
    if (status < 300) this.layer.indexAccepted(this);
    if (!this.reliable) this.scheduleRetransmit();
    // Timer H (non-2xx) / Timer L (2xx): wait for the ACK for 64*T1.
    this.startLifetime(64 * t1, () => {
      if (!this.acked) this.layer.options.onAckTimeout?.(this);
      this.terminate();
    });
  }

  /** Convenience: build (from the request) and send a response. */
  reply(status: number, reason: string, extraHeaders?: Record<string, string | string[]>, body?: Buffer | string): SipResponse {
    const response = buildResponse(this.request, status, reason, extraHeaders, body);
    this.respond(response);
    return response;
  }

  /** @internal the same request arrived again. */
  onRetransmission(): void {
    if (this.state === 'trying' || this.state === 'confirmed' || this.state === 'terminated') return;
    if (this.lastResponse) this.transmit();
  }

  /** @internal an ACK matched this transaction (by branch for non-2xx, by dialog for 2xx). */
  onAck(ack: SipRequest, remote: RemoteAddress): void {
    if (this.state === 'completed') {
      this.acked = true;
      this.state = 'confirmed';
      this.clearRetransmit();
      // Timer I: absorb ACK retransmissions for T4 on UDP.
      this.startLifetime(this.reliable ? 0 : this.layer.config.t4, () => this.terminate());
    } else if (this.state === 'accepted' && !this.acked) {
      this.acked = true;
      this.clearRetransmit();
      this.layer.options.onAck?.(ack, remote, this);
    }
  }

  private transmit() {
    if (this.lastResponse) this.layer.options.send(this.lastResponse, this.remote);
  }

  private scheduleRetransmit() {
    const timers = this.layer.timers;
    this.retransmitTimer = timers.setTimeout(() => {
      if (this.acked || (this.state !== 'completed' && this.state !== 'accepted')) return;
      this.transmit();
      // Timer G / 2xx retransmission: T1, 2T1, 4T1 ... capped at T2.
      this.retransmitInterval = Math.min(this.retransmitInterval * 2, this.layer.config.t2);
      this.scheduleRetransmit();
    }, this.retransmitInterval);
  }

  private clearRetransmit() {
    if (this.retransmitTimer !== undefined) this.layer.timers.clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
  }

  private startLifetime(ms: number, fn: () => void) {
    if (this.lifetimeTimer !== undefined) this.layer.timers.clearTimeout(this.lifetimeTimer);
    this.lifetimeTimer = this.layer.timers.setTimeout(fn, ms);
  }

  /** Ends the transaction now, cancelling its timers. */
  terminate(): void {
    this.clearRetransmit();
    if (this.lifetimeTimer !== undefined) this.layer.timers.clearTimeout(this.lifetimeTimer);
    this.lifetimeTimer = undefined;
    this.state = 'terminated';
    this.layer.remove(this);
  }
}

/** Matches incoming requests to server transactions and creates new ones. */
export class ServerTransactionLayer {
  readonly config: TransactionTimerConfig;
  readonly timers: Timers;
  private readonly transactions = new Map<string, ServerTransaction>();
  private readonly accepted = new Map<string, ServerTransaction>();

  constructor(readonly options: ServerTransactionLayerOptions) {
    this.timers = options.timers ?? realTimers;
    this.config = { t1: 500, t2: 4000, t4: 5000, ...options.timerConfig };
  }

  get size(): number {
    return this.transactions.size;
  }

  get(key: string): ServerTransaction | undefined {
    return this.transactions.get(key);
  }

  /** Entry point for every request received from the transport. */
  receive(request: SipRequest, remote: RemoteAddress): void {
    let key: string;
    try {
      key = serverTransactionKey(request);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      this.options.onUnmatchable?.(request, remote, e);
      return;
    }
    const existing = this.transactions.get(key);
    if (request.method === 'ACK') {
      if (existing?.isInvite && existing.state !== 'accepted') {
        existing.onAck(request, remote);
        return;
      }
      const tx = this.accepted.get(safeAckKey(request));
      if (tx) {
        if (!tx.acked) tx.onAck(request, remote);
        return; // retransmitted 2xx ACKs are absorbed
      }
      this.options.onAck?.(request, remote, undefined);
      return;
    }
    if (existing) {
      existing.onRetransmission();
      return;
    }
    const tx = new ServerTransaction(key, request, remote, this);
    this.transactions.set(key, tx);
    if (tx.isInvite) {
      // 100 Trying at once: stops the client's INVITE retransmissions.
      tx.respond(buildResponse(request, 100, 'Trying'));
    }
    this.options.onRequest(tx);
  }

  /** The INVITE transaction a CANCEL refers to (RFC 3261 §9.2), if still known. */
  findInviteForCancel(cancel: SipRequest): ServerTransaction | undefined {
    try {
      return this.transactions.get(serverTransactionKey(cancel, 'INVITE'));
    } catch {
      return undefined;
    }
  }

  /** @internal */
  indexAccepted(tx: ServerTransaction): void {
    const k = safeAckKey(tx.request);
    if (k) this.accepted.set(k, tx);
  }

  /** @internal */
  remove(tx: ServerTransaction): void {
    if (this.transactions.get(tx.key) === tx) this.transactions.delete(tx.key);
    const k = safeAckKey(tx.request);
    if (k && this.accepted.get(k) === tx) this.accepted.delete(k);
  }

  /** Terminates every transaction (shutdown). */
  close(): void {
    for (const tx of [...this.transactions.values()]) tx.terminate();
  }
}

function safeAckKey(req: SipRequest): string {
  try {
    return ackMatchKey(req);
  } catch {
    return '';
  }
}
