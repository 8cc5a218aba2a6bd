import { CallSession } from './CallSession';

/** At most this many ids go into one simultaneous-calls query (a bound on its parameters). */
export const MAX_EXCLUDED_CONVERSATIONS = 500;

/**
 * The conversations of a recorded number that the simultaneous-calls count must leave
 * out: calls whose dialog has ended (BYE answered, timeout, ...) while their archive is
 * being written, and conversations whose registration waits in the queue (their rows
 * are still `recording` in the database). Pending registrations are not tied to a
 * number here: leaving out another number's id changes nothing.
 */
export function endedConversations(
  recordedNumberId: string,
  ended: Iterable<Pick<CallSession, 'conversationId' | 'recordedNumber'>>,
  pendingRegistrations: string[],
): string[] {
  const ids = new Set<string>();
  for (const s of ended) {
    if (s.recordedNumber.id === recordedNumberId) ids.add(s.conversationId);
  }
  for (const id of pendingRegistrations) {
    if (ids.size >= MAX_EXCLUDED_CONVERSATIONS) break;
    ids.add(id);
  }
  return [...ids];
}
