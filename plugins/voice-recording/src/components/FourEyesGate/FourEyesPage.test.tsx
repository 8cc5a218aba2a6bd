import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import type { FourEyesSession } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import {
  CATALOG_PEOPLE,
  catalogRoutes,
  entityPresentationApi,
} from '../../testUtils/catalog';
import { FourEyesPage } from './FourEyesPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const OBSERVERS = 'group:default/observers';
const session = (id: string, userRef: string): FourEyesSession => ({
  id,
  userRef,
  observerRef: OBSERVERS,
  state: 'pending',
  requestedAt: new Date().toISOString(),
});
const observersGroup = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'observers', namespace: 'default', title: 'Observers' },
  spec: { type: 'team', children: [], profile: { displayName: 'Observers' } },
};

function render(options: { canManage: boolean; url?: string }) {
  let pending = [
    session('s1', 'user:default/bob'),
    session('s2', 'user:default/carol'),
  ];
  let flags = [
    {
      userRef: 'user:default/bob',
      observerRef: OBSERVERS,
      setBy: 'user:default/alice',
      setAt: '2026-12-06T08:00:00Z',
    },
  ];
  const api = {
    listFourEyesConfirmations: jest.fn(async () => ({ items: pending })),
    confirmFourEyesSession: jest.fn(async (id: string) => {
      pending = pending.filter(s => s.id !== id);
      return {
        ...session(id, 'user:default/carol'),
        state: 'confirmed' as const,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      };
    }),
    rejectFourEyesSession: jest.fn(async (id: string) => {
      pending = pending.filter(s => s.id !== id);
      return { ...session(id, 'user:default/bob'), state: 'rejected' as const };
    }),
    listFourEyesUsers: jest.fn(async () => ({ items: flags })),
    setFourEyesUser: jest.fn(async (userRef: string, observerRef: string) => {
      const f = {
        userRef,
        observerRef,
        setBy: 'user:default/alice',
        setAt: '',
      };
      flags = [...flags, f];
      return f;
    }),
    clearFourEyesUser: jest.fn(async (userRef: string) => {
      flags = flags.filter(f => f.userRef !== userRef);
    }),
  };
  const entities = [...CATALOG_PEOPLE, observersGroup];
  renderInTestApp(<FourEyesPage canManage={options.canManage} />, {
    apis: [
      [catalogApiRef, catalogApiMock({ entities })],
      entityPresentationApi(entities),
      [voiceRecordingApiRef, api],
    ],
    mountedRoutes: catalogRoutes,
    initialRouteEntries: [options.url ?? '/'],
  });
  return api;
}

describe('FourEyesPage', () => {
  it('lists the sessions an observer may confirm, the linked one first, and confirms it', async () => {
    const api = render({ canManage: false, url: '/?session=s2' });
    const panel = await screen.findByTestId('four-eyes-confirmations');
    const rows = await within(panel).findAllByTestId(/^four-eyes-session-/);
    expect(rows.map(r => r.getAttribute('data-testid'))).toEqual([
      'four-eyes-session-s2',
      'four-eyes-session-s1',
    ]);
    expect(rows[0]).toHaveAttribute('aria-current', 'true');
    await waitFor(() => expect(rows[0]).toHaveTextContent('Carol Dubois'));
    await userEvent.click(
      within(rows[0]).getByRole('button', { name: 'Confirm' }),
    );
    expect(api.confirmFourEyesSession).toHaveBeenCalledWith('s2');
    expect(await within(panel).findByRole('status')).toHaveTextContent(
      /Confirmed: access to recordings until/,
    );
    await waitFor(() =>
      expect(
        within(panel).queryByTestId('four-eyes-session-s2'),
      ).not.toBeInTheDocument(),
    );
    // a standard user does not manage the flags
    expect(screen.queryByTestId('four-eyes-users')).not.toBeInTheDocument();
  });

  it('rejects a session; says when nobody is waiting', async () => {
    const api = render({ canManage: false });
    const row = await screen.findByTestId('four-eyes-session-s1');
    await userEvent.click(within(row).getByRole('button', { name: 'Reject' }));
    expect(api.rejectFourEyesSession).toHaveBeenCalledWith('s1');
    await userEvent.click(
      within(await screen.findByTestId('four-eyes-session-s2')).getByRole(
        'button',
        { name: 'Reject' },
      ),
    );
    expect(
      await screen.findByText('Nobody is waiting for your confirmation.'),
    ).toBeInTheDocument();
  });

  it('lets admins see, flag and clear four-eyes users by name', async () => {
    const api = render({ canManage: true });
    const users = await screen.findByTestId('four-eyes-users');
    const bob = await within(users).findByTestId(
      'four-eyes-user-user:default/bob',
    );
    await waitFor(() => expect(bob).toHaveTextContent('Bob Peeters'));

    // flag carol with the observers group, chosen in the people pickers
    await userEvent.type(
      within(users).getByRole('combobox', { name: 'User' }),
      'Carol',
    );
    await userEvent.click(
      await screen.findByTestId('person-option-user:default/carol'),
    );
    await userEvent.type(
      within(users).getByRole('combobox', { name: 'Observer' }),
      'Observ',
    );
    await userEvent.click(
      await screen.findByTestId(`person-option-${OBSERVERS}`),
    );
    await userEvent.click(
      within(users).getByRole('button', { name: 'Flag four-eyes' }),
    );
    expect(api.setFourEyesUser).toHaveBeenCalledWith(
      'user:default/carol',
      OBSERVERS,
    );
    expect(
      await within(users).findByTestId('four-eyes-user-user:default/carol'),
    ).toBeInTheDocument();

    await userEvent.click(
      within(bob).getByRole('button', {
        name: 'Clear the four-eyes flag of user:default/bob',
      }),
    );
    expect(api.clearFourEyesUser).toHaveBeenCalledWith('user:default/bob');
    await waitFor(() =>
      expect(
        within(users).queryByTestId('four-eyes-user-user:default/bob'),
      ).not.toBeInTheDocument(),
    );
  });

  it('names the missing field instead of sending an incomplete flag', async () => {
    const api = render({ canManage: true });
    const users = await screen.findByTestId('four-eyes-users');
    await userEvent.click(
      within(users).getByRole('button', { name: 'Flag four-eyes' }),
    );
    expect(api.setFourEyesUser).not.toHaveBeenCalled();
    expect(await within(users).findByTestId('error-alert')).toHaveTextContent(
      'Choose the user and their observer.',
    );
  });
});
