export { FakeTimers, realTimers } from './timers';
export type { Timers } from './timers';
export { MAGIC_COOKIE, serverTransactionKey, ackMatchKey } from './key';
export { ServerTransaction, ServerTransactionLayer } from './serverTransaction';
export type {
  ServerTransactionState,
  ServerTransactionLayerOptions,
  TransactionTimerConfig,
} from './serverTransaction';
export { ClientTransaction, ClientTransactionLayer } from './clientTransaction';
export type { ClientTransactionLayerOptions, ClientTransactionOutcome, ClientTransactionState } from './clientTransaction';
