import { parseRecordingMetadata } from '../siprec';
import { buildMetadata } from '../testing/siprecMessages';
import { participantUpdate } from './participantUpdate';

const meta = (aors: string[]) => parseRecordingMetadata(buildMetadata(aors.map((aor, i) => ({ aor, sends: String(i + 1), name: i === 1 ? 'Client' : undefined }))));

describe('participantUpdate', () => {
  it('marks the recorded party, names the other party, drops duplicates', () => {
    const u = participantUpdate(meta(['sip:+32470000001@pbx', 'sip:+32499000111@carrier', 'tel:+32499000111']), '+32470000001', ['112']);
    expect(u.participants).toEqual([
      { aor: 'sip:+32470000001@pbx', number: '+32470000001', participantId: 'p0', recorded: true },
      { aor: 'sip:+32499000111@carrier', number: '+32499000111', name: 'Client', participantId: 'p1' },
    ]);
    expect(u.otherParty).toBe('+32499000111');
    expect(u.emergency).toBeUndefined();
  });

  it('names a party that is not a number by its user part, and an emergency number first', () => {
    expect(participantUpdate(meta(['sip:+32470000001@pbx', 'sip:ASBCE@sbc;transport=tcp']), '+32470000001', ['112']).otherParty).toBe('ASBCE');
    const u = participantUpdate(meta(['sip:+32470000001@pbx', 'sip:+32499000111@carrier', 'tel:112']), '+32470000001', ['112']);
    expect(u).toMatchObject({ otherParty: '112', emergency: '112' });
  });

  it('leaves out participants that have left (disassociate-time)', () => {
    const m = meta(['sip:+32470000001@pbx', 'sip:+32499000111@carrier']);
    m.participants[1].disassociateTime = '2025-06-02T08:00:00Z';
    const u = participantUpdate(m, '+32470000001', ['112']);
    expect(u.participants).toHaveLength(1);
    expect(u.otherParty).toBeUndefined();
  });
});
