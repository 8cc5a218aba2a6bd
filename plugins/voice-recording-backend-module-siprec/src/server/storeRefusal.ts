import { RefusalReason } from '@mvr/plugin-voice-recording-common';
import { isCaptureStoreError } from '@mvr/plugin-voice-recording-node';

/** How a call the recorder could not store is answered. */
export interface StoreRefusal {
  reason: RefusalReason;
  /** instead of the reason's usual status, phrase and Warning text */
  status?: number;
  phrase?: string;
  warning?: string;
}

/**
 * The answer to an INVITE whose recording could not be stored or looked up, by what a
 * retry would do: only an outage (database unreachable or busy, storage unavailable) is
 * `503` with Retry-After, which SRCs retry; a store that refused the request's data
 * (`invalid`: a value no retry can make storable) is a `400` saying so; any other store
 * failure is a `500` (no Retry-After). Undefined for errors that are not the store's.
 */
export function storeRefusal(e: unknown): StoreRefusal | undefined {
  if ((e as Error)?.name === 'StorageUnavailableError') return { reason: 'storage-unavailable' };
  if (!isCaptureStoreError(e)) return undefined;
  if (e.retryable) return { reason: 'storage-unavailable' };
  if (e.code === 'invalid') {
    return { reason: 'error', status: 400, phrase: 'Bad Request', warning: 'the recording store refused this session (not retryable)' };
  }
  return { reason: 'error' };
}
