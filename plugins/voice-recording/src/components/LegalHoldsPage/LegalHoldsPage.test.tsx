import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeCase, makeLegalHold } from '../../testUtils/cases';
import { rootRouteRef } from '../../routes';
import { LegalHoldsPage } from './LegalHoldsPage';
import { LegalHoldBadge } from './LegalHoldBadge';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any;
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

const hold = makeLegalHold;

const requested = (by: string) =>
  hold({
    state: 'release-requested',
    releaseRequestedBy: by,
    releaseRequestedAt: '2026-12-06T09:00:00.000Z',
    releaseReason: 'Settled',
  });

function setup(
  me: string,
  api: Record<string, jest.Mock> = {},
  path = '/voice-recording/compliance/legal-holds',
) {
  const mock = {
    listLegalHolds: jest.fn(async () => ({ items: [hold()] })),
    listCases: jest.fn(async () => ({ items: [makeCase()] })),
    placeLegalHold: jest.fn(async (body: any) =>
      hold({ id: 'h2', ...body, conversationCount: 2 }),
    ),
    requestLegalHoldRelease: jest.fn(async () => requested(me)),
    approveLegalHoldRelease: jest.fn(async () =>
      hold({ state: 'released', releasedBy: me }),
    ),
    rejectLegalHoldRelease: jest.fn(async () => hold()),
    cancelLegalHoldRelease: jest.fn(async () => hold()),
    ...api,
  };
  renderInTestApp(<LegalHoldsPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, mock],
      mockApis.permission({ authorize: ALLOW }),
      mockApis.identity({ userEntityRef: me }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    initialRouteEntries: [path],
  });
  return mock;
}

describe('LegalHoldsPage', () => {
  it('lists holds with case, reference, state, who placed them by name and the held count', async () => {
    setup(ALICE);
    const row = await screen.findByTestId('hold-row-h1');
    expect(row).toHaveTextContent('Client X fraud');
    expect(row).toHaveTextContent('HC-17');
    expect(row).toHaveTextContent('Court order');
    expect(within(row).getByTestId('hold-state')).toHaveTextContent('Active');
    expect(within(row).getByTestId('hold-count-h1')).toHaveTextContent(
      '3 conversations',
    );
    await waitFor(() =>
      expect(
        within(row).getByRole('link', { name: 'Alice Martin' }),
      ).toBeVisible(),
    );
    expect(row).not.toHaveTextContent(ALICE);
  });

  it('places a hold: the case, reference and reason are required', async () => {
    const api = setup(ALICE, {
      listLegalHolds: jest.fn(async () => ({ items: [] })),
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Place legal hold' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Place a legal hold',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Place hold' }),
    );
    expect(dialog).toHaveTextContent('Choose the case to hold');
    expect(dialog).toHaveTextContent('The reference of the matter is required');
    expect(dialog).toHaveTextContent('A reason is required');
    expect(api.placeLegalHold).not.toHaveBeenCalled();

    await userEvent.click(within(dialog).getByRole('button', { name: /Case/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Client X fraud' }),
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reference/ }),
      'HC-18',
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Regulator request',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Place hold' }),
    );
    await waitFor(() =>
      expect(api.placeLegalHold).toHaveBeenCalledWith({
        caseId: 'c1',
        reference: 'HC-18',
        reason: 'Regulator request',
      }),
    );
    expect(
      await screen.findByText(
        'Legal hold HC-18 placed on Client X fraud: 2 conversations held',
      ),
    ).toBeVisible();
  });

  it('shows the refusal in the dialog (a standing hold already)', async () => {
    setup(ALICE, {
      placeLegalHold: jest.fn(async () => {
        throw await responseError(
          409,
          'ConflictError',
          'caseId: case "Client X fraud" is under legal hold already (reference HC-17)',
        );
      }),
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Place legal hold' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: /Case/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Client X fraud' }),
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reference/ }),
      'X',
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Y',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Place hold' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'is under legal hold already (reference HC-17)',
    );
  });

  it('requests a release with a reason', async () => {
    const api = setup(ALICE);
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Request release of HC-17',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request the release of HC-17',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Request release' }),
    );
    expect(dialog).toHaveTextContent('Reason is required');
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Settled',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Request release' }),
    );
    await waitFor(() =>
      expect(api.requestLegalHoldRelease).toHaveBeenCalledWith('h1', 'Settled'),
    );
    expect(
      await screen.findByText(
        'Release of HC-17 requested: another admin approves it',
      ),
    ).toBeVisible();
  });

  it('disables approval for the requester, with the reason, and lets them withdraw', async () => {
    const api = setup(ALICE, {
      listLegalHolds: jest.fn(async () => ({ items: [requested(ALICE)] })),
    });
    const approve = await screen.findByRole('button', {
      name: 'Approve release of HC-17',
    });
    await waitFor(() =>
      expect(screen.getByTestId('own-request-h1')).toBeVisible(),
    );
    expect(approve).toBeDisabled();
    expect(screen.getByTestId('own-request-h1')).toHaveTextContent(
      'You requested this release: another admin must approve it.',
    );
    expect(approve).toHaveAttribute('aria-describedby', 'own-request-h1');
    expect(
      screen.queryByRole('button', { name: 'Reject release of HC-17' }),
    ).toBeNull();
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Withdraw request for HC-17',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Withdraw request' }),
    );
    await waitFor(() =>
      expect(api.cancelLegalHoldRelease).toHaveBeenCalledWith('h1', undefined),
    );
    expect(api.approveLegalHoldRelease).not.toHaveBeenCalled();
  });

  it('lets another admin approve the release', async () => {
    const api = setup(BOB, {
      listLegalHolds: jest.fn(async () => ({ items: [requested(ALICE)] })),
    });
    const approve = await screen.findByRole('button', {
      name: 'Approve release of HC-17',
    });
    await waitFor(() => expect(approve).toBeEnabled());
    expect(screen.queryByTestId('own-request-h1')).toBeNull();
    const row = screen.getByTestId('hold-row-h1');
    expect(row).toHaveTextContent('Release requested');
    expect(row).toHaveTextContent('Settled');
    await userEvent.click(approve);
    const dialog = await screen.findByRole('dialog', {
      name: 'Approve the release of HC-17',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve release' }),
    );
    await waitFor(() =>
      expect(api.approveLegalHoldRelease).toHaveBeenCalledWith('h1', undefined),
    );
    expect(await screen.findByText('Legal hold HC-17 released')).toBeVisible();
  });
});

describe('LegalHoldsPage: the notification link', () => {
  it('shows the linked hold first, marked', async () => {
    setup(
      ALICE,
      {
        listLegalHolds: jest.fn(async () => ({
          items: [hold({ id: 'h9', reference: 'NEWER' }), requested(BOB)],
        })),
      },
      '/voice-recording/compliance/legal-holds?hold=h1',
    );
    const first = await screen.findByTestId('hold-row-h1');
    const rows = screen.getAllByTestId(/^hold-row-/);
    expect(rows.map(r => r.getAttribute('data-testid'))).toEqual([
      'hold-row-h1',
      'hold-row-h9',
    ]);
    expect(within(first).getByTestId('hold-linked')).toHaveTextContent(
      'From your notification',
    );
    expect(
      within(screen.getByTestId('hold-row-h9')).queryByTestId('hold-linked'),
    ).toBeNull();
  });
});

describe('LegalHoldBadge', () => {
  it('says nothing for a conversation not held, "Legal hold" for a held one, with the references for admins', async () => {
    const { rerender } = await renderInTestApp(
      <LegalHoldBadge conversation={{ legalHold: false }} />,
    );
    expect(screen.queryByTestId('legal-hold-badge')).toBeNull();
    rerender(<LegalHoldBadge conversation={{ legalHold: true }} />);
    expect(screen.getByTestId('legal-hold-badge')).toHaveTextContent(
      /^Legal hold$/,
    );
    rerender(
      <LegalHoldBadge
        conversation={{
          legalHold: true,
          legalHolds: [
            {
              id: 'h1',
              caseId: 'c1',
              caseTitle: 'Client X fraud',
              reference: 'HC-17',
              state: 'active',
            },
          ],
        }}
      />,
    );
    const badge = screen.getByTestId('legal-hold-badge');
    expect(badge).toHaveTextContent('Legal hold HC-17');
    expect(badge).toHaveAttribute('title', 'HC-17 on case “Client X fraud”');
  });
});
