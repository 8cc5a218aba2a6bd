/**
 * Four-eyes access (docs/permissions.md "Four-eyes"): a flagged user opens
 * recordings only during a session an observer confirmed.
 */

/** A user flagged four-eyes by an admin, with their observer (a user or a group). */
export interface FourEyesFlag {
  userRef: string;
  observerRef: string;
  setBy: string;
  setAt: string;
}

/**
 * A session asked by a four-eyes user: `pending` until an observer confirms
 * (`confirmed`, until `expiresAt`) or rejects it; a confirmed session past its end is
 * `expired`; a pending one replaced by a new request, or any open one (pending or
 * confirmed) ended by a cleared flag, a new flag or another observer, `cancelled`.
 */
export type FourEyesSessionState =
  | 'pending'
  | 'confirmed'
  | 'rejected'
  | 'expired'
  | 'cancelled';

export interface FourEyesSession {
  id: string;
  userRef: string;
  observerRef: string;
  state: FourEyesSessionState;
  requestedAt: string;
  decidedBy?: string;
  decidedAt?: string;
  /** When a confirmed session ends. */
  expiresAt?: string;
}

/** `GET /me/four-eyes`: whether the caller needs a confirmation, and where it stands. */
export interface FourEyesStatus {
  /** The caller is flagged four-eyes. */
  required: boolean;
  observerRef?: string;
  /** May open recordings now (not flagged, or a confirmed session runs). */
  access: boolean;
  /** The latest session (pending, confirmed, rejected or expired), if any. */
  session?: FourEyesSession;
  /** The configured length of a confirmed session. */
  sessionMinutes: number;
}

/** Where an observer confirms a session (the link of their notification). */
export function fourEyesConfirmPath(id: string): string {
  return `/voice-recording/four-eyes?session=${encodeURIComponent(id)}`;
}
