import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type { AccessRequest } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeCase, makeRequest } from '../../testUtils/cases';
import { WorkflowsPage } from './WorkflowsPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any; // an admin: may decide

function setup(
  request: AccessRequest,
  options: { me?: string; api?: Record<string, jest.Mock> } = {},
) {
  let current = request;
  const mock = {
    getAccessRequest: jest.fn(async () => current),
    getCase: jest.fn(async () => makeCase()),
    listAccessRequests: jest.fn(async () => ({
      items: [
        current,
        makeRequest({
          id: 'r0',
          caseTitle: 'Desk review',
          state: 'expired',
          createdAt: '2026-11-01T10:00:00Z',
        }),
      ],
      total: 2,
    })),
    approveAccessRequest: jest.fn(async (_id: string, comment?: string) => {
      current = {
        ...current,
        state: 'approved',
        decidedBy: 'user:default/alice',
        decidedAt: '2026-12-05T12:00:00Z',
        decisionComment: comment,
      };
      return current;
    }),
    managerApproveAccessRequest: jest.fn(async () => {
      current = {
        ...current,
        managerApprovedBy: 'user:default/dave',
        managerApprovedAt: '2026-12-05T12:00:00Z',
      };
      return current;
    }),
    ...options.api,
  };
  renderInTestApp(<WorkflowsPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, mock],
      mockApis.permission({ authorize: ALLOW }),
      mockApis.identity({ userEntityRef: options.me ?? 'user:default/alice' }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/workflows/*',
    initialRouteEntries: [`/voice-recording/workflows/requests/${request.id}`],
  });
  return mock;
}

describe('AccessRequestPage (the link of the approvers’ notification)', () => {
  it('shows the request, its case and the requester side by side, and approves it', async () => {
    const api = setup(makeRequest());
    const user = userEvent.setup();
    expect(
      await screen.findByRole('heading', {
        name: 'Access request for Client X fraud',
      }),
    ).toBeInTheDocument();
    expect(api.getAccessRequest).toHaveBeenCalledWith('r1');
    expect(api.getCase).toHaveBeenCalledWith('c1');
    expect(
      screen.getByText('Complaint of client X about an order'),
    ).toBeVisible();
    expect(screen.getByText('List, Play back')).toBeVisible();
    expect(await screen.findByTestId('label-chip')).toHaveTextContent(
      'Client X',
    );
    // the requester by name, linked to the catalog, with the catalog profile
    await waitFor(() =>
      expect(
        screen.getByRole('link', { name: 'Bob Peeters' }),
      ).toBeInTheDocument(),
    );
    expect(
      screen.getByRole('link', { name: 'Catalog profile' }),
    ).toHaveAttribute('href', '/catalog/default/user/bob');
    // the case owner by name
    expect(screen.getByRole('link', { name: 'Alice Martin' })).toBeVisible();
    // their other recent requests
    const recent = await screen.findByTestId('recent-requests');
    expect(recent).toHaveTextContent('Desk review');
    expect(recent).not.toHaveTextContent('Client X fraud');
    expect(api.listAccessRequests).toHaveBeenCalledWith(
      expect.objectContaining({ requester: 'user:default/bob' }),
    );

    await user.click(screen.getByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'ok for the complaint',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(api.approveAccessRequest).toHaveBeenCalledWith(
        'r1',
        'ok for the complaint',
      ),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Request for Client X fraud approved',
    );
    // reloaded: approved, so it can now be revoked and no longer approved
    expect(
      await screen.findByRole('button', { name: 'Revoke access' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.getAllByTestId('request-state')[0]).toHaveTextContent(
      'Approved',
    );
  });

  it("offers the manager's approval to the requester's manager only, before the admin's", async () => {
    const api = setup(makeRequest({ managerRef: 'user:default/dave' }), {
      me: 'user:default/dave',
    });
    const user = userEvent.setup();
    const approve = await screen.findByRole('button', {
      name: 'Approve as manager',
    });
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    await user.click(approve);
    const dialog = await screen.findByRole('dialog');
    await user.click(
      within(dialog).getByRole('button', { name: 'Approve as manager' }),
    );
    await waitFor(() =>
      expect(api.managerApproveAccessRequest).toHaveBeenCalledWith('r1', ''),
    );
    // now the admins decide: an admin (this user may decide too) sees Approve
    expect(
      await screen.findByRole('button', { name: 'Approve' }),
    ).toBeInTheDocument();
  });

  it('an admin who is not the manager waits for the manager', async () => {
    setup(makeRequest({ managerRef: 'user:default/dave' }));
    expect(
      await screen.findByText(
        "The requester's manager approves first; you can decide after.",
      ),
    ).toBeVisible();
    expect(screen.queryByRole('button', { name: /Approve/ })).toBeNull();
  });

  it("shows a manager without a right on the case its title only (the case's details are not theirs)", async () => {
    setup(makeRequest({ managerRef: 'user:default/dave' }), {
      me: 'user:default/dave',
      api: {
        getCase: jest.fn(async () => {
          throw await responseError(404, 'NotFoundError', 'case c1 not found');
        }),
      },
    });
    const card = await screen.findByTestId('case-title-only');
    expect(card).toHaveTextContent('Client X fraud');
    expect(card).toHaveTextContent(
      "The case's details are shown to the admins and to those with a right on it.",
    );
    expect(screen.queryByTestId('error-alert')).toBeNull();
    expect(within(card).queryByText('Label')).toBeNull();
    expect(screen.queryByText('Calls with client X in November')).toBeNull();
    expect(screen.queryByTestId('label-chip')).toBeNull();
    // the decision is still theirs
    expect(
      screen.getByRole('button', { name: 'Approve as manager' }),
    ).toBeVisible();
  });

  it('says so when the request cannot be shown', async () => {
    setup(makeRequest({ id: 'gone' }), {
      api: {
        getAccessRequest: jest.fn(async () => {
          throw await responseError(404, 'NotFoundError', 'no request gone');
        }),
      },
    });
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'Request not shown: no request gone',
    );
  });
});
