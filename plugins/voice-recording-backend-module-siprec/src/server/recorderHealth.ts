/*
 * Whether the recorder can take new calls, in the words a load balancer or an SBC's
 * health check needs: one answer for the HTTP health endpoint and the SIP OPTIONS ping.
 * Reason codes only: no call, number, path or database detail (the endpoint needs no
 * sign-in).
 */

/** Why the recorder refuses new calls. */
export type RecorderUnhealthyReason =
  /** the recorder is not started yet (the backend is starting) */
  | 'starting'
  /** the recorder failed to start, or has stopped (see the backend's log) */
  | 'not-running'
  /** the recorder is stopping: calls in progress end, new ones get 503 */
  | 'draining'
  /** a configured SIP transport (UDP, TCP, TLS) is not listening */
  | 'sip-not-listening'
  /** the voice-recording database is down (as seen from the recorder's database calls and probes) */
  | 'database-down'
  /** the journal or archive directory has less free space than `storage.minFreeMegabytes` */
  | 'storage-full'
  /** the journal or archive directory cannot be written (a probe write or fsync failed) */
  | 'storage-unwritable'
  /** no storage probe has answered for a while (the disk hangs) */
  | 'storage-unresponsive';

export interface RecorderHealth {
  ok: boolean;
  /** empty when ok */
  reasons: RecorderUnhealthyReason[];
}

export interface RecorderHealthInput {
  started: boolean;
  stopping: boolean;
  /** each configured transport: listening or not */
  transports: Array<{ name: 'udp' | 'tcp' | 'tls'; listening: boolean }>;
  databaseDown: boolean;
  /** the last storage probe, absent before the first one answered */
  storage?:
    | { ok: true; checkedAt: number }
    | { ok: false; code?: string; checkedAt: number };
  now: number;
}

/** A storage probe older than this (they run every second) counts as a hanging disk. */
export const STORAGE_PROBE_STALE_MS = 10_000;

/** The recorder's health from what it knows now (no I/O). */
export function recorderHealth(input: RecorderHealthInput): RecorderHealth {
  const reasons: RecorderUnhealthyReason[] = [];
  if (!input.started) reasons.push('starting');
  if (input.stopping) reasons.push('draining');
  if (input.started && input.transports.some(t => !t.listening))
    reasons.push('sip-not-listening');
  if (input.databaseDown) reasons.push('database-down');
  const s = input.storage;
  if (input.started) {
    if (!s || input.now - s.checkedAt > STORAGE_PROBE_STALE_MS)
      reasons.push('storage-unresponsive');
    else if (!s.ok)
      reasons.push(s.code === 'ENOSPC' ? 'storage-full' : 'storage-unwritable');
  }
  return { ok: reasons.length === 0, reasons };
}
