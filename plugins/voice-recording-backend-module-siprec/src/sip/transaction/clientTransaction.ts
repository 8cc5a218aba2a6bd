import { SipRequest, SipResponse, parseCSeq, parseVia } from '../message';
import { RemoteAddress } from '../transport';
import { MAGIC_COOKIE } from './key';
import { TransactionTimerConfig } from './serverTransaction';
import { Timers, realTimers } from './timers';

export type ClientTransactionState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** How a client transaction ended. */
export type ClientTransactionOutcome =
  | { kind: 'response'; response: SipResponse }
  /** Timer F: no final response within 64*T1 */
  | { kind: 'timeout' }
  /** the request could not be sent (closed connection, socket error) */
  | { kind: 'transport-error'; error: Error }
  /** the layer was closed (shutdown) before a final response */
  | { kind: 'closed' };

export interface ClientTransactionLayerOptions {
  /** Sends a request (first copy and retransmissions); rejects when it cannot be sent. */
  send: (request: SipRequest, remote: RemoteAddress) => Promise<void>;
  timers?: Timers;
  timerConfig?: Partial<TransactionTimerConfig>;
}

function clientKey(branch: string, method: string): string {
  return `${branch}|${method.toUpperCase()}`;
}

/**
 * A non-INVITE client transaction (RFC 3261 §17.1.2): over UDP the request is
 * retransmitted at T1, doubling up to T2 (Timer E; at T2 once a provisional response
 * came) until a final response or Timer F (64*T1); Timer K then absorbs response
 * retransmissions for T4. Over TCP/TLS nothing is retransmitted.
 */
export class ClientTransaction {
  state: ClientTransactionState = 'trying';
  /** copies of the request sent (first one included) */
  transmissions = 0;
  readonly reliable: boolean;
  readonly done: Promise<ClientTransactionOutcome>;
  private resolve!: (o: ClientTransactionOutcome) => void;
  private retransmitTimer?: unknown;
  private timerF?: unknown;
  private timerK?: unknown;
  private interval: number;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly remote: RemoteAddress,
    private readonly layer: ClientTransactionLayer,
  ) {
    this.reliable = remote.transport !== 'udp';
    this.interval = layer.config.t1;
    this.done = new Promise(r => (this.resolve = r));
  }

  get method(): string {
    return this.request.method;
  }

  /** @internal */
  start(): void {
    const { timers, config } = this.layer;
    this.transmit();
    if (!this.reliable) this.scheduleRetransmit();
    this.timerF = timers.setTimeout(() => this.finish({ kind: 'timeout' }), 64 * config.t1);
  }

  private transmit(): void {
    this.transmissions++;
    this.layer.options.send(this.request, this.remote).catch(e => this.finish({ kind: 'transport-error', error: e as Error }));
  }

  private scheduleRetransmit(): void {
    const { timers, config } = this.layer;
    this.retransmitTimer = timers.setTimeout(() => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.transmit();
      this.interval = this.state === 'proceeding' ? config.t2 : Math.min(this.interval * 2, config.t2);
      this.scheduleRetransmit();
    }, this.interval);
  }

  /** @internal a response matched this transaction. */
  onResponse(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return; // retransmission: absorbed
    if (response.status < 200) {
      if (this.state === 'trying') {
        this.state = 'proceeding';
        this.interval = this.layer.config.t2;
      }
      return;
    }
    this.clearTimers();
    this.state = 'completed';
    this.resolve({ kind: 'response', response });
    // Timer K: absorb retransmitted responses (UDP)
    this.timerK = this.layer.timers.setTimeout(() => this.terminate(), this.reliable ? 0 : this.layer.config.t4);
  }

  private finish(outcome: ClientTransactionOutcome): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    this.resolve(outcome);
    this.terminate();
  }

  private clearTimers(): void {
    const { timers } = this.layer;
    if (this.retransmitTimer !== undefined) timers.clearTimeout(this.retransmitTimer);
    if (this.timerF !== undefined) timers.clearTimeout(this.timerF);
    this.retransmitTimer = undefined;
    this.timerF = undefined;
  }

  /** Ends the transaction (a pending caller gets `closed`). */
  terminate(): void {
    this.clearTimers();
    if (this.timerK !== undefined) this.layer.timers.clearTimeout(this.timerK);
    this.timerK = undefined;
    if (this.state !== 'completed') this.resolve({ kind: 'closed' });
    this.state = 'terminated';
    this.layer.remove(this);
  }
}

/**
 * Client transactions of the recorder's own requests (BYE). Responses are matched
 * by the top Via branch and the CSeq method (RFC 3261 §17.1.3).
 */
export class ClientTransactionLayer {
  readonly timers: Timers;
  readonly config: TransactionTimerConfig;
  private readonly transactions = new Map<string, ClientTransaction>();

  constructor(readonly options: ClientTransactionLayerOptions) {
    this.timers = options.timers ?? realTimers;
    this.config = { t1: 500, t2: 4000, t4: 5000, ...options.timerConfig };
  }

  get size(): number {
    return this.transactions.size;
  }

  /**
   * Starts a non-INVITE client transaction. The request must carry a top Via with a
   * `z9hG4bK` branch and a CSeq.
   */
  request(request: SipRequest, remote: RemoteAddress): ClientTransaction {
    if (request.method === 'INVITE' || request.method === 'ACK') {
      throw new Error(`client transactions: ${request.method} is not supported (non-INVITE requests only)`);
    }
    const branch = parseVia(request.headers.getAll('Via')[0] ?? '').branch;
    if (!branch?.startsWith(MAGIC_COOKIE)) {
      throw new Error(`client transactions: the top Via of ${request.method} has no ${MAGIC_COOKIE} branch`);
    }
    const key = clientKey(branch, parseCSeq(request.headers.get('CSeq') ?? '').method);
    if (this.transactions.has(key)) throw new Error(`client transactions: branch ${branch} is already in use`);
    const tx = new ClientTransaction(key, request, remote, this);
    this.transactions.set(key, tx);
    tx.start();
    return tx;
  }

  /** Passes a response to its transaction; false when none matches (stray response). */
  receive(response: SipResponse): boolean {
    let key: string;
    try {
      const branch = parseVia(response.headers.getAll('Via')[0] ?? '').branch;
      if (!branch) return false;
      key = clientKey(branch, parseCSeq(response.headers.get('CSeq') ?? '').method);
    } catch {
      return false;
    }
    const tx = this.transactions.get(key);
    if (!tx) return false;
    tx.onResponse(response);
    return true;
  }

  /** Resolves when no transaction is waiting for a final response (or after `timeoutMs`). */
  async settled(timeoutMs: number): Promise<void> {
    const waiting = [...this.transactions.values()].filter(t => t.state === 'trying' || t.state === 'proceeding').map(t => t.done);
    if (!waiting.length) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(waiting), new Promise<void>(r => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** @internal */
  remove(tx: ClientTransaction): void {
    if (this.transactions.get(tx.key) === tx) this.transactions.delete(tx.key);
  }

  /** Terminates every transaction (shutdown). */
  close(): void {
    for (const tx of [...this.transactions.values()]) tx.terminate();
  }
}
