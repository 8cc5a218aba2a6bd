import { ConversationParticipant, isEmergencyNumber } from '@mvr/plugin-voice-recording-common';
import { RecordingMetadata } from '../siprec';

/** What a metadata update (re-INVITE/UPDATE) changes on the conversation. */
export interface ParticipantUpdate {
  /** The participants on the call now, the recorded number's party marked `recorded`. */
  participants: ConversationParticipant[];
  /** E.164 when it is a phone number, else the address's user part; an emergency number first. */
  otherParty?: string;
  /** An emergency number among the other parties: the recording must stop. */
  emergency?: string;
}

/** `sip:Extension-12@host;user=phone` -> `Extension-12` (as the plugin names a non-number party). */
function userPart(aor: string): string {
  const s = aor
    .trim()
    .replace(/^(tel|sips?):/i, '')
    .replace(/[@;].*$/, '')
    .trim();
  return s || aor.trim();
}

/**
 * The participant set a metadata update leaves on the call (those without a
 * disassociate-time), matched to the recorded number by E.164: each participant once
 * (by number, else by address), the recorded party marked, and the other party named
 * as at set-up: an emergency number among the others wins, else the first other one.
 */
export function participantUpdate(
  metadata: RecordingMetadata,
  recordedNumber: string,
  emergencyNumbers: string[],
): ParticipantUpdate {
  const participants: ConversationParticipant[] = [];
  const seen = new Set<string>();
  for (const p of metadata.participants) {
    if (p.disassociateTime) continue; // left the call (partial updates say so)
    const aor = p.aor ?? p.nameIds[0]?.aor;
    if (!aor) continue;
    const number = p.e164;
    const key = number ?? aor.trim().toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const recorded = number === recordedNumber || p.nameIds.some(n => n.e164 === recordedNumber);
    const name = p.nameIds.find(n => n.name)?.name;
    participants.push({
      aor,
      ...(number ? { number } : {}),
      ...(name ? { name } : {}),
      ...(p.id ? { participantId: p.id } : {}),
      ...(recorded ? { recorded: true } : {}),
    });
  }
  const others = participants.filter(p => !p.recorded);
  const name = (p: ConversationParticipant) => p.number ?? userPart(p.aor);
  const emergency = others.find(p => isEmergencyNumber(name(p), emergencyNumbers));
  const other = emergency ?? others[0];
  return {
    participants,
    ...(other ? { otherParty: name(other) } : {}),
    ...(emergency ? { emergency: name(emergency) } : {}),
  };
}
