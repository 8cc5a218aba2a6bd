import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeRequest } from '../../testUtils/cases';
import { WorkflowsPage } from './WorkflowsPage';
import { useLocation } from 'react-router-dom';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any; // an admin: may decide

function setup(path: string, api: Record<string, jest.Mock> = {}) {
  const mock = {
    listAccessRequests: jest.fn(async (query: any) => ({
      items:
        query?.state === 'pending'
          ? [
              makeRequest(),
              makeRequest({
                id: 'r3',
                caseTitle: 'Desk review',
                requesterRef: 'user:default/carol',
                managerRef: 'user:default/dave',
              }),
            ]
          : [
              makeRequest({
                id: 'r4',
                state: 'approved',
                decidedBy: 'user:default/alice',
                decidedAt: '2026-12-05T11:00:00Z',
                decisionComment: 'For the complaint',
              }),
              makeRequest({ id: 'r5', state: 'expired' }),
            ],
      total: 2,
    })),
    approveAccessRequest: jest.fn(async (id: string) =>
      makeRequest({ id, state: 'approved' }),
    ),
    rejectAccessRequest: jest.fn(async (id: string, comment: string) =>
      makeRequest({ id, state: 'rejected', decisionComment: comment }),
    ),
    revokeAccessRequest: jest.fn(async (id: string) =>
      makeRequest({ id, state: 'revoked' }),
    ),
    ...api,
  };
  renderInTestApp(
    <>
      <WorkflowsPage />
      <LocationProbe />
    </>,
    {
      apis: [
        ...catalogApis(),
        [voiceRecordingApiRef, mock],
        mockApis.permission({ authorize: ALLOW }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/workflows/*',
      initialRouteEntries: [path],
    },
  );
  return mock;
}

/** Where the page is (its search params: the lists' filters). */
function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location">{location.search}</div>;
}
const urlParams = () =>
  Object.fromEntries(
    new URLSearchParams(screen.getByTestId('location').textContent ?? ''),
  );

/** Picks a person in the Requester filter by typing their name. */
async function pickRequester(name: string, ref: string) {
  await userEvent.type(
    screen.getByRole('combobox', { name: 'Requester' }),
    name,
  );
  await userEvent.click(await screen.findByTestId(`person-option-${ref}`));
}

describe('WorkflowsPage (admin)', () => {
  it('lands admins on Requests to approve: reason, expiration, requester by name, rights', async () => {
    const api = setup('/voice-recording/workflows');
    const row = await screen.findByTestId('request-row-r1');
    await waitFor(() =>
      expect(
        screen.getByRole('tab', { name: 'Requests to approve' }),
      ).toHaveAttribute('aria-selected', 'true'),
    );
    expect(api.listAccessRequests).toHaveBeenCalledWith(
      expect.objectContaining({ state: 'pending' }),
    );
    expect(row).toHaveTextContent('Complaint of client X about an order');
    expect(row).toHaveTextContent('List, Play back');
    expect(row).toHaveTextContent('2099');
    await waitFor(() =>
      expect(
        within(row).getByRole('link', { name: 'Bob Peeters' }),
      ).toBeInTheDocument(),
    );
    expect(
      within(row).getByRole('link', { name: 'Client X fraud' }),
    ).toHaveAttribute('href', '/voice-recording/workflows/requests/r1');
    // one that waits for the requester's manager cannot be approved yet
    const waiting = screen.getByTestId('request-row-r3');
    expect(waiting).toHaveTextContent('Waits for the manager');
    expect(
      within(waiting).queryByRole('button', { name: /Approve/ }),
    ).toBeNull();
  });

  it('approves with an optional comment; the message is next to the list, which reloads', async () => {
    const api = setup('/voice-recording/workflows/to-approve');
    const user = userEvent.setup();
    const row = await screen.findByTestId('request-row-r1');
    await user.click(within(row).getByRole('button', { name: /^Approve/ }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'asks for List, Play back on case Client X fraud',
    );
    await user.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'For the complaint',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(api.approveAccessRequest).toHaveBeenCalledWith(
        'r1',
        'For the complaint',
      ),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Request for Client X fraud approved',
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.listAccessRequests).toHaveBeenCalledTimes(2);
  });

  it('needs a comment to reject', async () => {
    const api = setup('/voice-recording/workflows/to-approve');
    const user = userEvent.setup();
    const row = await screen.findByTestId('request-row-r1');
    await user.click(within(row).getByRole('button', { name: /^Reject/ }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));
    expect(await within(dialog).findByTestId('field-error')).toHaveTextContent(
      'A comment is required to reject a request',
    );
    expect(api.rejectAccessRequest).not.toHaveBeenCalled();
    await user.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Not needed',
    );
    expect(within(dialog).queryByTestId('field-error')).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));
    await waitFor(() =>
      expect(api.rejectAccessRequest).toHaveBeenCalledWith('r1', 'Not needed'),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Request for Client X fraud rejected',
    );
  });

  it("keeps the backend's refusal in the dialog", async () => {
    setup('/voice-recording/workflows/to-approve', {
      approveAccessRequest: jest.fn(async () => {
        throw await responseError(
          409,
          'ConflictError',
          'request is no longer pending',
        );
      }),
    });
    const user = userEvent.setup();
    const row = await screen.findByTestId('request-row-r1');
    await user.click(within(row).getByRole('button', { name: /^Approve/ }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));
    expect(await within(dialog).findByTestId('error-alert')).toHaveTextContent(
      'request is no longer pending',
    );
    expect(screen.queryByTestId('success-alert')).toBeNull();
  });

  it('All requests: states, filter by state, revoke after confirmation', async () => {
    const api = setup('/voice-recording/workflows/all-requests');
    const user = userEvent.setup();
    const approved = await screen.findByTestId('request-row-r4');
    expect(within(approved).getByTestId('request-state')).toHaveTextContent(
      'Approved',
    );
    expect(approved).toHaveTextContent('For the complaint');
    expect(
      within(screen.getByTestId('request-row-r5')).queryByRole('button', {
        name: /Revoke/,
      }),
    ).toBeNull();

    await user.click(within(approved).getByRole('button', { name: /Revoke/ }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Revoke access');
    expect(api.revokeAccessRequest).not.toHaveBeenCalled();
    await user.click(
      within(dialog).getByRole('button', { name: 'Revoke access' }),
    );
    await waitFor(() =>
      expect(api.revokeAccessRequest).toHaveBeenCalledWith('r4', ''),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Request for Client X fraud revoked: the access ended',
    );

    await user.click(screen.getByRole('button', { name: /State$/ }));
    await user.click(await screen.findByRole('option', { name: 'Expired' }));
    await waitFor(() =>
      expect(api.listAccessRequests).toHaveBeenLastCalledWith(
        expect.objectContaining({ state: 'expired' }),
      ),
    );
  });

  it('All requests pages through many requests', async () => {
    const api = setup('/voice-recording/workflows/all-requests', {
      listAccessRequests: jest.fn(async (query: any) => ({
        items: [makeRequest({ id: `p${query.offset ?? 0}`, state: 'expired' })],
        total: 120,
      })),
    });
    const user = userEvent.setup();
    expect(await screen.findByTestId('request-row-p0')).toBeInTheDocument();
    expect(api.listAccessRequests).toHaveBeenLastCalledWith(
      expect.objectContaining({ limit: 50, offset: 0 }),
    );
    await user.click(screen.getByRole('button', { name: /next/i }));
    expect(await screen.findByTestId('request-row-p50')).toBeInTheDocument();
    expect(api.listAccessRequests).toHaveBeenLastCalledWith(
      expect.objectContaining({ limit: 50, offset: 50 }),
    );
  });

  it("All requests of one case (the Cases tab's link), back to every case", async () => {
    const api = setup('/voice-recording/workflows/all-requests?case=c1');
    const user = userEvent.setup();
    expect(await screen.findByTestId('request-row-r4')).toBeInTheDocument();
    expect(api.listAccessRequests).toHaveBeenLastCalledWith(
      expect.objectContaining({ caseId: 'c1' }),
    );
    expect(screen.getByText(/Requests for case Client X fraud/)).toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Show every case' }));
    await waitFor(() =>
      expect(api.listAccessRequests).toHaveBeenLastCalledWith(
        expect.objectContaining({ caseId: undefined }),
      ),
    );
  });
  it('All requests: filters by state and requester, kept in the URL', async () => {
    const api = setup('/voice-recording/workflows/all-requests');
    const user = userEvent.setup();
    expect(await screen.findByTestId('request-row-r4')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /State$/ }));
    await user.click(await screen.findByRole('option', { name: 'Approved' }));
    await pickRequester('Bob', 'user:default/bob');
    await waitFor(() =>
      expect(api.listAccessRequests).toHaveBeenLastCalledWith(
        expect.objectContaining({
          state: 'approved',
          requester: 'user:default/bob',
          offset: 0,
        }),
      ),
    );
    expect(urlParams()).toEqual({
      state: 'approved',
      requester: 'user:default/bob',
    });
  });

  it('All requests: a link with the filters shows that list (the requester by name)', async () => {
    const api = setup(
      '/voice-recording/workflows/all-requests?state=expired&requester=user%3Adefault%2Fcarol&case=c1',
    );
    expect(await screen.findByTestId('request-row-r5')).toBeInTheDocument();
    expect(api.listAccessRequests).toHaveBeenCalledTimes(1);
    expect(api.listAccessRequests).toHaveBeenCalledWith(
      expect.objectContaining({
        state: 'expired',
        requester: 'user:default/carol',
        caseId: 'c1',
      }),
    );
    expect(screen.getByRole('button', { name: /State$/ })).toHaveTextContent(
      'Expired',
    );
    await waitFor(() =>
      expect(screen.getByRole('combobox', { name: 'Requester' })).toHaveValue(
        'Carol Dubois',
      ),
    );
    // "Show every case" keeps the other filters
    await userEvent.click(
      screen.getByRole('button', { name: 'Show every case' }),
    );
    await waitFor(() =>
      expect(urlParams()).toEqual({
        state: 'expired',
        requester: 'user:default/carol',
      }),
    );
  });

  it('All requests: an unknown state in the URL is ignored', async () => {
    const api = setup('/voice-recording/workflows/all-requests?state=granted');
    expect(await screen.findByTestId('request-row-r4')).toBeInTheDocument();
    expect(api.listAccessRequests).toHaveBeenLastCalledWith(
      expect.objectContaining({ state: undefined }),
    );
  });

  it('Requests to approve: filters by requester, in the URL', async () => {
    const api = setup(
      '/voice-recording/workflows/to-approve?requester=user%3Adefault%2Fcarol',
    );
    expect(await screen.findByTestId('request-row-r3')).toBeInTheDocument();
    expect(api.listAccessRequests).toHaveBeenLastCalledWith(
      expect.objectContaining({
        state: 'pending',
        requester: 'user:default/carol',
      }),
    );
    await userEvent.clear(screen.getByRole('combobox', { name: 'Requester' }));
    await pickRequester('Bob', 'user:default/bob');
    await waitFor(() =>
      expect(api.listAccessRequests).toHaveBeenLastCalledWith(
        expect.objectContaining({
          state: 'pending',
          requester: 'user:default/bob',
        }),
      ),
    );
    expect(urlParams()).toEqual({ requester: 'user:default/bob' });
  });
});
