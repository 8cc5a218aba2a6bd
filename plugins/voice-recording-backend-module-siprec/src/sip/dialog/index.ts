export { Dialog, DialogStore, dialogKey, dialogIdOfRequest } from './dialog';
export type { DialogId, DialogState, RequestCheck } from './dialog';
export { localContact } from './contact';
export {
  SessionTimer,
  negotiateSessionTimer,
  parseSessionExpires,
} from './sessionTimer';
export type {
  Refresher,
  SessionTimerDecision,
  SessionTimerOptions,
  SessionTimerPolicy,
} from './sessionTimer';
export { buildInDialogRequest } from './request';
export type { InDialogRequestOptions } from './request';
