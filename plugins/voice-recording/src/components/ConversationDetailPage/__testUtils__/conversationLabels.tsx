import { screen, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type { EvaluatePermissionRequest } from '@backstage/plugin-permission-common';
import type {
  Case,
  ConversationLabel,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../../routes';
import { ConversationDetailPage } from '../ConversationDetailPage';
import { makeConversationDetail } from '../../../testUtils/conversations';
import { playerApiMocks } from '../../../testUtils/media';
import { catalogApis, catalogRoutes } from '../../../testUtils/catalog';

/** The call page's label tests (ConversationDetailPage.labels*.test.tsx). */
export const ALLOW = 'ALLOW' as any;
export const DENY = 'DENY' as any;
const AT = '2026-12-01T09:00:00Z';

export function makeCase(n: number, overrides: Partial<Case> = {}): Case {
  return {
    id: `case-${n}`,
    title: `Case ${n} title`,
    description: '',
    status: 'open',
    ownerRef: 'user:default/alice',
    label: { id: `label-${n}`, title: `Label ${n}`, colour: '#000080' },
    access: {
      list: { mode: 'none', refs: [] },
      playback: { mode: 'none', refs: [] },
      label: { mode: 'owner', refs: [] },
    },
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}

export const CASES = [
  makeCase(1), // the call is in it
  makeCase(2), // may be added to it
  makeCase(3), // no right on it
  makeCase(4, { status: 'closed' }), // closed: not offered
];
export const labelOf = (c: Case): ConversationLabel => ({
  ...c.label,
  caseId: c.id,
});
export const FREE: ConversationLabel = {
  id: 'label-free',
  title: 'Training',
  colour: '#ffeb3b',
};

/** A user with the label right on `labelRights` (case ids); every other permission as `others`. */
export function renderPage(options: {
  labelRights: string[];
  others?: any;
  addConversationLabel?: jest.Mock;
  removeConversationLabel?: jest.Mock;
  getAccessHistory?: jest.Mock;
}) {
  const authorize = jest.fn((req: EvaluatePermissionRequest) => {
    if (req.permission.name === 'voice-recording.case.label')
      return options.labelRights.includes(String(req.resourceRef))
        ? ALLOW
        : DENY;
    return options.others ?? DENY;
  });
  const api = {
    ...playerApiMocks(),
    getConversation: jest.fn(async () =>
      makeConversationDetail({ labels: [labelOf(CASES[0]), FREE] }),
    ),
    listCases: jest.fn(async () => ({ items: CASES })),
    addConversationLabel: options.addConversationLabel ?? jest.fn(),
    removeConversationLabel: options.removeConversationLabel ?? jest.fn(),
    getAccessHistory:
      options.getAccessHistory ?? jest.fn(async () => ({ items: [] })),
  };
  renderInTestApp(<ConversationDetailPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, api],
      mockApis.permission({ authorize }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/conversations/:id',
    initialRouteEntries: ['/voice-recording/conversations/c1'],
  });
  return { api, authorize };
}

export const chips = () =>
  within(screen.getByTestId('conversation-labels'))
    .getAllByTestId('label-chip')
    .map(c => c.textContent);
