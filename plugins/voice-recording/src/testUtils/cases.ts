import type {
  AccessRequest,
  Case,
  Label,
  LegalHold,
} from '@mvr/plugin-voice-recording-common';

export function makeCase(overrides: Partial<Case> = {}): Case {
  return {
    id: 'c1',
    title: 'Client X fraud',
    description: 'Calls with client X in November',
    status: 'open',
    ownerRef: 'user:default/alice',
    label: { id: 'l1', title: 'Client X', colour: '#000080' },
    access: {
      list: { mode: 'none', refs: [] },
      playback: { mode: 'selected', refs: ['user:default/dave'] },
      label: { mode: 'owner', refs: [] },
    },
    createdAt: '2026-12-01T09:00:00Z',
    updatedAt: '2026-12-01T09:00:00Z',
    ...overrides,
  };
}

export function makeLabel(overrides: Partial<Label> = {}): Label {
  return {
    id: 'l2',
    title: 'Free label',
    colour: '#ffeb3b',
    createdAt: '2026-12-01T09:00:00Z',
    updatedAt: '2026-12-01T09:00:00Z',
    ...overrides,
  };
}

export function makeRequest(
  overrides: Partial<AccessRequest> = {},
): AccessRequest {
  return {
    id: 'r1',
    caseId: 'c1',
    caseTitle: 'Client X fraud',
    requesterRef: 'user:default/bob',
    reason: 'Complaint of client X about an order',
    rights: ['list', 'playback'],
    expiresAt: '2099-01-31T22:59:59Z',
    state: 'pending',
    createdAt: '2026-12-05T10:00:00Z',
    ...overrides,
  };
}

/** An active legal hold on the case of {@link makeCase}, placed by alice, 3 conversations. */
export function makeLegalHold(overrides: Partial<LegalHold> = {}): LegalHold {
  return {
    id: 'h1',
    caseId: 'c1',
    caseTitle: 'Client X fraud',
    labelId: 'l1',
    reason: 'Court order',
    reference: 'HC-17',
    state: 'active',
    placedBy: 'user:default/alice',
    placedAt: '2026-12-06T08:00:00.000Z',
    conversationCount: 3,
    ...overrides,
  };
}
