import {
  MAX_PARTICIPANT_PERIODS,
  nextParticipantHistory,
  startParticipantHistory,
} from './participantHistory';

const t = (s: number) => new Date(Date.UTC(2025, 5, 2, 8, 0, s));
const bob = { aor: 'sip:+32470123456@pbx', number: '+32470123456', recorded: true };
const sbc = { aor: 'sip:ASBCE@sbc' };
const client = { aor: 'sip:+32499000111@carrier', number: '+32499000111', name: 'Client' };

describe('participant history', () => {
  it('opens a period per participant at the start, once each', () => {
    expect(startParticipantHistory([bob, sbc, { ...sbc, aor: 'SIP:ASBCE@SBC' }], t(0))).toEqual([
      { aor: bob.aor, number: bob.number, recorded: true, from: t(0).toISOString() },
      { aor: sbc.aor, from: t(0).toISOString() },
    ]);
  });

  it('closes the periods of those who left, opens periods for those who joined, keeps those who stayed', () => {
    const h0 = startParticipantHistory([bob, sbc], t(0));
    const h1 = nextParticipantHistory(h0, [{ ...bob, aor: 'tel:+32470123456' }, client], t(10));
    expect(h1).toEqual([
      { aor: bob.aor, number: bob.number, recorded: true, from: t(0).toISOString() },
      { aor: sbc.aor, from: t(0).toISOString(), to: t(10).toISOString() },
      { aor: client.aor, number: client.number, name: 'Client', from: t(10).toISOString() },
    ]);
    // the same set again changes nothing; someone coming back gets a new period
    expect(nextParticipantHistory(h1, [bob, client], t(20))).toEqual(h1);
    const h3 = nextParticipantHistory(h1, [bob, sbc], t(30));
    expect(h3.map(p => [p.aor, p.from, p.to])).toEqual([
      [bob.aor, t(0).toISOString(), undefined],
      [sbc.aor, t(0).toISOString(), t(10).toISOString()],
      [client.aor, t(10).toISOString(), t(30).toISOString()],
      [sbc.aor, t(30).toISOString(), undefined],
    ]);
  });

  it('is bounded: the oldest closed periods go first, open ones stay', () => {
    let h = startParticipantHistory([bob], t(0));
    for (let i = 0; i < MAX_PARTICIPANT_PERIODS + 50; i++) {
      h = nextParticipantHistory(h, [bob, { aor: `sip:guest-${i}@x` }], t(i + 1));
    }
    expect(h).toHaveLength(MAX_PARTICIPANT_PERIODS);
    expect(h[0].aor).toBe(bob.aor);
    expect(h[h.length - 1]).toMatchObject({ aor: `sip:guest-${MAX_PARTICIPANT_PERIODS + 49}@x` });
    expect(h[h.length - 1].to).toBeUndefined();
  });
});
