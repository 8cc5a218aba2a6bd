import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  voiceRecordingAccessRequestCreatePermission,
  voiceRecordingCaseReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeRequest } from '../../testUtils/cases';
import { WorkflowsPage } from './WorkflowsPage';
import { dateInDays, endOfDayIso } from './requestText';
import { lastExpiryDate } from './RequestAccessForm';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

// A standard user: may request access (and read cases), may not decide.
const STANDARD = [
  voiceRecordingAccessRequestCreatePermission.name,
  voiceRecordingCaseReadPermission.name,
];
const authorize = (request: any) =>
  (STANDARD.includes(request.permission.name) ? 'ALLOW' : 'DENY') as any;

function setup(path: string, api: Record<string, jest.Mock> = {}) {
  const mock = {
    // the request form's choice: open cases by id and title only
    listRequestableCases: jest.fn(async () => ({
      items: [
        { id: 'c1', title: 'Client X fraud' },
        { id: 'c2', title: 'Desk review' },
      ],
      maxExpiryDays: 90,
    })),
    listCases: jest.fn(async () => {
      throw new Error('the request form does not list the cases');
    }),
    createAccessRequest: jest.fn(async (body: any) =>
      makeRequest({ id: 'r9', ...body, caseTitle: 'Desk review' }),
    ),
    listMyAccessRequests: jest.fn(async (query: any) =>
      query?.as === 'manager'
        ? { items: [], total: 0 }
        : {
            items: [
              makeRequest({
                state: 'rejected',
                decidedBy: 'user:default/alice',
                decidedAt: '2026-12-05T11:00:00Z',
                decisionComment: 'Not part of your desk',
              }),
              makeRequest({
                id: 'r2',
                caseTitle: 'Desk review',
                state: 'pending',
              }),
            ],
            total: 2,
          },
    ),
    listAccessRequests: jest.fn(async () => {
      throw new Error('not for standard users');
    }),
    ...api,
  };
  renderInTestApp(<WorkflowsPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, mock],
      mockApis.permission({ authorize }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/workflows/*',
    initialRouteEntries: [path],
  });
  return mock;
}

describe('WorkflowsPage (standard user)', () => {
  it('shows only the requester sections and lands on Request access', async () => {
    setup('/voice-recording/workflows');
    const tab = await screen.findByRole('tab', { name: 'Request access' });
    await waitFor(() => expect(tab).toHaveAttribute('aria-selected', 'true'));
    expect(
      await screen.findByRole('button', { name: 'Request access' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('tab', { name: 'My requests' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('tab', { name: 'Requests to approve' }),
    ).toBeNull();
    expect(screen.queryByRole('tab', { name: 'All requests' })).toBeNull();
  });

  it('requests access to a case with reason, rights and expiration date', async () => {
    const api = setup('/voice-recording/workflows/request-access');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: /Case$/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Desk review' }),
    );
    // nothing of the case but its title (no label, no description)
    expect(screen.queryByTestId('label-chip')).toBeNull();
    await user.type(
      screen.getByRole('textbox', { name: 'Reason' }),
      'Complaint about an order',
    );
    // list and play back by default; add the label right, drop play back
    expect(screen.getByRole('checkbox', { name: 'List' })).toBeChecked();
    await user.click(screen.getByRole('checkbox', { name: 'Play back' }));
    await user.click(
      screen.getByRole('checkbox', { name: 'Add/remove label' }),
    );
    const date = dateInDays(10);
    fireEvent.change(screen.getByLabelText('Expiration date'), {
      target: { value: date },
    });
    await user.click(screen.getByRole('button', { name: 'Request access' }));

    await waitFor(() =>
      expect(api.createAccessRequest).toHaveBeenCalledWith({
        caseId: 'c2',
        reason: 'Complaint about an order',
        rights: ['list', 'label'],
        expiresAt: endOfDayIso(date),
      }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Request sent for Desk review',
    );
    expect(screen.getByRole('link', { name: 'View request' })).toHaveAttribute(
      'href',
      '/voice-recording/workflows/requests/r9',
    );
  });

  it('offers no expiration date beyond the portal limit, and says it', async () => {
    const api = setup('/voice-recording/workflows/request-access', {
      listRequestableCases: jest.fn(async () => ({
        items: [{ id: 'c1', title: 'Client X fraud' }],
        maxExpiryDays: 14,
      })),
    });
    const user = userEvent.setup();
    const field = await screen.findByLabelText('Expiration date');
    const last = lastExpiryDate(14);
    expect(last).toBe(dateInDays(13)); // its end is within 14 days from now
    expect(field).toHaveAttribute('max', last);
    expect(field).toHaveAttribute('min', dateInDays(1));
    // the default (30 days ahead) is past the limit: the last date allowed instead
    expect(field).toHaveValue(last);
    expect(
      screen.getByText(/At most 14 days ahead: .* at the latest\./),
    ).toBeVisible();
    // a later date typed in is refused next to the field, nothing sent
    fireEvent.change(field, { target: { value: dateInDays(20) } });
    await user.click(screen.getByRole('button', { name: /Case$/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Client X fraud' }),
    );
    await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'Audit');
    await user.click(screen.getByRole('button', { name: 'Request access' }));
    expect(
      await screen.findByText(
        /^The expiration date must be .* at the latest \(14 days\)$/,
      ),
    ).toBeVisible();
    expect(api.createAccessRequest).not.toHaveBeenCalled();
    fireEvent.change(field, { target: { value: last } });
    await user.click(screen.getByRole('button', { name: 'Request access' }));
    await waitFor(() =>
      expect(api.createAccessRequest).toHaveBeenCalledWith(
        expect.objectContaining({ expiresAt: endOfDayIso(last) }),
      ),
    );
  });

  it('says what is missing next to the fields and sends nothing', async () => {
    const api = setup('/voice-recording/workflows/request-access');
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Request access' }),
    );
    const errors = (await screen.findAllByTestId('field-error')).map(
      e => e.textContent,
    );
    expect(errors).toEqual(['Choose a case', 'Say why you need access']);
    expect(api.createAccessRequest).not.toHaveBeenCalled();
  });

  it("shows the backend's refusal next to the button, gone once the form changes", async () => {
    setup('/voice-recording/workflows/request-access', {
      createAccessRequest: jest.fn(async () => {
        throw await responseError(
          400,
          'InputError',
          'expiresAt: must be in the future',
        );
      }),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: /Case$/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Client X fraud' }),
    );
    await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'Audit');
    await user.click(screen.getByRole('button', { name: 'Request access' }));
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'Request not sent: expiresAt: must be in the future',
    );
    await user.type(screen.getByRole('textbox', { name: 'Reason' }), '!');
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('lists my requests with state and the decision by name with its comment', async () => {
    setup('/voice-recording/workflows/my-requests');
    const row = await screen.findByTestId('request-row-r1');
    expect(within(row).getByTestId('request-state')).toHaveTextContent(
      'Rejected',
    );
    expect(row).toHaveTextContent('Not part of your desk');
    expect(row).toHaveTextContent('List, Play back');
    await waitFor(() =>
      expect(
        within(row).getByRole('link', { name: 'Alice Martin' }),
      ).toBeInTheDocument(),
    );
    expect(
      within(screen.getByTestId('request-row-r2')).getByTestId('request-state'),
    ).toHaveTextContent('Pending');
  });

  it("a requester's manager approves the requests of the people they manage", async () => {
    const waiting = makeRequest({
      id: 'r7',
      requesterRef: 'user:default/carol',
      managerRef: 'user:default/dave',
    });
    const managerApproveAccessRequest = jest.fn(async () => ({
      ...waiting,
      managerApprovedBy: 'user:default/dave',
      managerApprovedAt: '2026-12-05T12:00:00Z',
    }));
    const api = setup('/voice-recording/workflows/to-approve', {
      listMyAccessRequests: jest.fn(async (query: any) =>
        query?.as === 'manager'
          ? { items: [waiting], total: 1 }
          : { items: [], total: 0 },
      ),
      managerApproveAccessRequest,
    });
    const user = userEvent.setup();
    const row = await screen.findByTestId('request-row-r7');
    expect(
      screen.getByRole('tab', { name: 'Requests to approve' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(
        within(row).getByRole('link', { name: 'Carol Dubois' }),
      ).toBeInTheDocument(),
    );
    await user.click(
      within(row).getByRole('button', {
        name: 'Approve request for Client X fraud as manager',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.click(
      within(dialog).getByRole('button', { name: 'Approve as manager' }),
    );
    await waitFor(() =>
      expect(managerApproveAccessRequest).toHaveBeenCalledWith('r7', ''),
    );
    expect(api.listAccessRequests).not.toHaveBeenCalled();
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'approved by you as manager; an admin decides next',
    );
  });

  it('preselects the case of a ?case= link', async () => {
    const api = setup('/voice-recording/workflows/request-access?case=c2');
    const user = userEvent.setup();
    expect(
      await screen.findByRole('button', { name: /Desk review/ }),
    ).toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'Audit');
    await user.click(screen.getByRole('button', { name: 'Request access' }));
    await waitFor(() =>
      expect(api.createAccessRequest).toHaveBeenCalledWith(
        expect.objectContaining({ caseId: 'c2', reason: 'Audit' }),
      ),
    );
  });
});
