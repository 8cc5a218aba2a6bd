import {
  accessRequestStateAt,
  CaseAccessFacts,
  caseGivesRight,
  isLabelColour,
} from './cases';

const now = new Date('2026-12-05T12:00:00Z');
const later = '2026-12-06T12:00:00Z';
const earlier = '2026-12-04T12:00:00Z';

const facts = (f: Partial<CaseAccessFacts>): CaseAccessFacts => ({
  caseId: 'c',
  status: 'open',
  ownerRef: 'user:default/owen',
  access: {
    list: { mode: 'none', refs: [] },
    playback: { mode: 'none', refs: [] },
    label: { mode: 'owner', refs: [] },
  },
  grants: [],
  ...f,
});

describe('caseGivesRight', () => {
  const bob = ['user:default/bob', 'group:default/trading'];

  it('gives the owner every right of an open case, nothing of a closed one', () => {
    for (const right of ['list', 'playback', 'label'] as const) {
      expect(caseGivesRight(facts({}), right, ['user:default/owen'], now)).toBe(
        true,
      );
      expect(
        caseGivesRight(
          facts({ status: 'closed' }),
          right,
          ['user:default/owen'],
          now,
        ),
      ).toBe(false);
    }
  });

  it('lists through the list or the playback setting; plays back through playback only', () => {
    const byGroup = facts({
      access: {
        list: { mode: 'none', refs: [] },
        playback: { mode: 'selected', refs: ['group:default/trading'] },
        label: { mode: 'owner', refs: [] },
      },
    });
    expect(caseGivesRight(byGroup, 'list', bob, now)).toBe(true);
    expect(caseGivesRight(byGroup, 'playback', bob, now)).toBe(true);
    expect(caseGivesRight(byGroup, 'label', bob, now)).toBe(false);
    expect(
      caseGivesRight(byGroup, 'playback', ['user:default/carol'], now),
    ).toBe(false);
    const everyoneLists = facts({
      access: {
        list: { mode: 'everyone', refs: [] },
        playback: { mode: 'none', refs: [] },
        label: { mode: 'owner', refs: [] },
      },
    });
    expect(caseGivesRight(everyoneLists, 'list', ['user:default/x'], now)).toBe(
      true,
    );
    expect(
      caseGivesRight(everyoneLists, 'playback', ['user:default/x'], now),
    ).toBe(false);
  });

  it('honours unexpired grants with the right, matching refs in any case', () => {
    const f = facts({
      grants: [
        {
          requesterRef: 'user:default/Carol',
          rights: ['list'],
          expiresAt: later,
        },
        {
          requesterRef: 'user:default/dave',
          rights: ['playback'],
          expiresAt: earlier,
        },
      ],
    });
    expect(caseGivesRight(f, 'list', ['user:default/carol'], now)).toBe(true);
    expect(caseGivesRight(f, 'playback', ['user:default/carol'], now)).toBe(
      false,
    );
    expect(caseGivesRight(f, 'list', ['user:default/dave'], now)).toBe(false);
  });
});

describe('accessRequestStateAt', () => {
  it('reads pending and approved requests past their expiration as expired', () => {
    expect(accessRequestStateAt('pending', later, now)).toBe('pending');
    expect(accessRequestStateAt('pending', earlier, now)).toBe('expired');
    expect(accessRequestStateAt('approved', earlier, now)).toBe('expired');
    expect(accessRequestStateAt('rejected', earlier, now)).toBe('rejected');
    expect(accessRequestStateAt('revoked', earlier, now)).toBe('revoked');
  });
});

describe('isLabelColour', () => {
  it('accepts #rrggbb only', () => {
    expect(isLabelColour('#D32f2f')).toBe(true);
    for (const v of ['red', '#fff', 'd32f2f', '#d32f2f0'])
      expect(isLabelColour(v)).toBe(false);
  });
});
