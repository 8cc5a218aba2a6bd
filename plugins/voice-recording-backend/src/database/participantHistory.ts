import {
  ConversationParticipant,
  ConversationParticipantPeriod,
} from '@mvr/plugin-voice-recording-common';

/** At most this many periods are kept per conversation (the oldest closed ones go first). */
export const MAX_PARTICIPANT_PERIODS = 200;

/** Who a participant is across metadata updates: its E.164 number, else its address. */
function keyOf(p: { aor: string; number?: string }): string {
  return p.number ?? p.aor.trim().toLowerCase();
}

function periodOf(
  p: ConversationParticipant,
  from: string,
): ConversationParticipantPeriod {
  return {
    aor: p.aor,
    ...(p.number ? { number: p.number } : {}),
    ...(p.name ? { name: p.name } : {}),
    ...(p.recorded ? { recorded: true } : {}),
    from,
  };
}

/** The history of a conversation that starts with these participants. */
export function startParticipantHistory(
  participants: ConversationParticipant[],
  at: Date,
): ConversationParticipantPeriod[] {
  const from = at.toISOString();
  const seen = new Set<string>();
  const out: ConversationParticipantPeriod[] = [];
  for (const p of participants) {
    if (seen.has(keyOf(p))) continue;
    seen.add(keyOf(p));
    out.push(periodOf(p, from));
  }
  return out;
}

/**
 * The history after the participant set became `participants` at `at`: the open
 * periods of those no longer in the set are closed (`to`), those who joined get a new
 * period, those who stayed keep theirs (their name and recorded marker follow the set).
 * Participants are matched by E.164 number, else by address, never by the metadata's
 * participant ids (some SRCs give new ids in every snapshot).
 */
export function nextParticipantHistory(
  history: ConversationParticipantPeriod[],
  participants: ConversationParticipant[],
  at: Date,
): ConversationParticipantPeriod[] {
  const when = at.toISOString();
  const current = new Map<string, ConversationParticipant>();
  for (const p of participants) {
    if (!current.has(keyOf(p))) current.set(keyOf(p), p);
  }
  const open = new Set<string>();
  const out = history.map(period => {
    if (period.to !== undefined) return period;
    const now = current.get(keyOf(period));
    if (!now) return { ...period, to: when };
    open.add(keyOf(period));
    const next = { ...period };
    if (now.name) next.name = now.name;
    if (now.recorded) next.recorded = true;
    else delete next.recorded;
    return next;
  });
  for (const [key, p] of current) {
    if (!open.has(key)) out.push(periodOf(p, when));
  }
  // bounded: a call with endless metadata churn keeps its open periods and the latest closed ones
  while (out.length > MAX_PARTICIPANT_PERIODS) {
    const i = out.findIndex(x => x.to !== undefined);
    if (i < 0) break;
    out.splice(i, 1);
  }
  return out;
}
