import {
  configure,
  act,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type { EvaluatePermissionRequest } from '@backstage/plugin-permission-common';
import type {
  Case,
  ConversationLabel,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationDetail } from '../../testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { ConversationDetailPage } from './ConversationDetailPage';

// the shared test machine is slow: async queries wait up to 5 s
configure({ asyncUtilTimeout: 5000 });
const ALLOW = 'ALLOW' as any;
const DENY = 'DENY' as any;
const AT = '2026-12-01T09:00:00Z';

function makeCase(n: number, overrides: Partial<Case> = {}): Case {
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

const CASES = [
  makeCase(1), // the call is in it
  makeCase(2), // may be added to it
  makeCase(3), // no right on it
  makeCase(4, { status: 'closed' }), // closed: not offered
];
const labelOf = (c: Case): ConversationLabel => ({ ...c.label, caseId: c.id });
const FREE: ConversationLabel = {
  id: 'label-free',
  title: 'Training',
  colour: '#ffeb3b',
};

/** A user with the label right on `labelRights` (case ids); every other permission as `others`. */
function renderPage(options: {
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

const chips = () =>
  within(screen.getByTestId('conversation-labels'))
    .getAllByTestId('label-chip')
    .map(c => c.textContent);

beforeEach(() => stubMediaAndCanvas());
afterEach(() => jest.restoreAllMocks());

describe('ConversationDetailPage: labels and cases', () => {
  it('shows the labels as chips and no action to a user without the label right', async () => {
    const { authorize } = renderPage({ labelRights: [] });
    await screen.findByTestId('conversation-labels', {}, { timeout: 5000 });
    expect(chips()).toEqual(['Label 1', 'Training']);
    expect(await screen.findByText('Case: Case 1 title')).toBeInTheDocument();
    // the rights were asked, case by case (open cases and the call's case)
    await waitFor(() =>
      expect(
        authorize.mock.calls
          .map(([r]) => r)
          .filter(r => r.permission.name === 'voice-recording.case.label')
          .map(r => r.resourceRef),
      ).toEqual(['case-1', 'case-2', 'case-3']),
    );
    // each asked once
    expect(
      authorize.mock.calls.filter(
        ([r]) => r.permission.name === 'voice-recording.case.label',
      ),
    ).toHaveLength(3);
    // the decisions are in (DENY): still no action
    await act(() => new Promise(resolve => setTimeout(resolve, 200)));
    expect(
      screen.queryByRole('button', { name: /Remove from case/ }),
    ).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add to case' })).toBeNull();
  });

  it('removes the call from a case after confirmation, for a user with the right', async () => {
    const removeConversationLabel = jest.fn(async () => ({
      labels: [FREE],
      changed: true,
    }));
    renderPage({ labelRights: ['case-1', 'case-2'], removeConversationLabel });
    const user = userEvent.setup();
    const remove = await screen.findByRole(
      'button',
      { name: 'Remove from case Case 1 title' },
      { timeout: 5000 },
    );
    await user.click(remove);
    // asks first; Cancel changes nothing
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('leaves the case "Case 1 title"');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(removeConversationLabel).not.toHaveBeenCalled();
    await user.click(
      screen.getByRole('button', { name: 'Remove from case Case 1 title' }),
    );
    await user.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Remove from case',
      }),
    );
    await waitFor(() =>
      expect(removeConversationLabel).toHaveBeenCalledWith('c1', 'label-1'),
    );
    await waitFor(() => expect(chips()).toEqual(['Training']));
    expect(screen.getByTestId('label-remove-done')).toHaveTextContent(
      'Removed from "Case 1 title".',
    );
    // the label of no case has no removal here (cases only)
    expect(
      screen.queryByRole('button', { name: /Remove from case/ }),
    ).toBeNull();
  });

  it('adds the call to a case the user may label (open cases only), and the admin history is reloaded', async () => {
    const addConversationLabel = jest.fn(async () => ({
      labels: [labelOf(CASES[0]), labelOf(CASES[1]), FREE],
      changed: true,
    }));
    const getAccessHistory = jest.fn(async () => ({ items: [] }));
    renderPage({
      labelRights: ['case-1', 'case-2', 'case-4'],
      others: ALLOW, // an admin: sees the access history
      addConversationLabel,
      getAccessHistory,
    });
    const user = userEvent.setup();
    const add = await screen.findByRole(
      'button',
      { name: 'Add to case' },
      { timeout: 5000 },
    );
    expect(add).toBeDisabled();
    await user.click(
      screen.getByRole('button', { name: /Case to add this call to$/ }),
    );
    const options = (await screen.findAllByRole('option')).map(
      o => o.textContent,
    );
    // case 1: already in it; case 3: no right; case 4: closed
    expect(options).toEqual(['Case 2 title']);
    await user.click(screen.getByRole('option', { name: 'Case 2 title' }));
    await user.click(screen.getByRole('button', { name: 'Add to case' }));
    await waitFor(() =>
      expect(addConversationLabel).toHaveBeenCalledWith('c1', 'label-2'),
    );
    await waitFor(() =>
      expect(chips()).toEqual(['Label 1', 'Label 2', 'Training']),
    );
    expect(screen.getByTestId('label-add-done')).toHaveTextContent(
      'Added to "Case 2 title".',
    );
    await waitFor(() => expect(getAccessHistory).toHaveBeenCalledTimes(2), {
      timeout: 5000,
    });
  });

  it('says clearly, next to the action, when the backend refuses the change (403)', async () => {
    const forbidden = Object.assign(new Error('Request failed with 403'), {
      name: 'ResponseError',
      statusCode: 403,
    });
    const removeConversationLabel = jest.fn(async () => {
      throw forbidden;
    });
    renderPage({ labelRights: ['case-1'], removeConversationLabel });
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole(
        'button',
        { name: 'Remove from case Case 1 title' },
        { timeout: 5000 },
      ),
    );
    await user.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Remove from case',
      }),
    );
    const error = await screen.findByTestId('label-remove-error');
    expect(error).toHaveTextContent(
      'You may not remove this call from "Case 1 title"',
    );
    // next to the label whose removal was refused; the label stays
    expect(
      within(error.closest('li')!).getByTestId('label-chip'),
    ).toHaveTextContent('Label 1');
    expect(chips()).toEqual(['Label 1', 'Training']);
  });
});
