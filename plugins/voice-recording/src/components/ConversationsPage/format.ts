import { DateTime } from 'luxon';
import type { ConversationParticipant } from '@mvr/plugin-voice-recording-common';

/** `m:ss`, or `h:mm:ss` from one hour on; `—` when unknown. */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) {
    return '—';
  }
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The viewer's IANA time zone (the browser's), e.g. `Europe/Paris`: call times are shown in it. */
export function viewerTimeZone(): string {
  return DateTime.local().zoneName ?? 'local time';
}

/** The label next to call times: `Times in your zone: Europe/Paris`. */
export function viewerZoneLabel(): string {
  return `Times in your zone: ${viewerTimeZone()}`;
}

/** Local date and time with seconds, e.g. `2026-11-25 10:30:05`. */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const dt = DateTime.fromISO(iso);
  return dt.isValid ? dt.toFormat('yyyy-LL-dd HH:mm:ss') : iso;
}

/** The party's number (or address) with its display name, when known. */
export function partyLabel(
  number: string | undefined,
  participant?: ConversationParticipant,
): string {
  const main = number ?? participant?.number ?? participant?.aor ?? 'unknown';
  const name = participant?.name;
  return name && name !== main ? `${main} (${name})` : main;
}

/** The recorded party and the other party of a conversation's participants. */
export function splitParticipants(
  participants: ConversationParticipant[] | undefined,
): {
  recorded?: ConversationParticipant;
  other?: ConversationParticipant;
} {
  const list = participants ?? [];
  const recorded = list.find(p => p.recorded);
  const other = list.find(p => !p.recorded);
  return { recorded, other };
}
