import { configure, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type {
  FourEyesSession,
  FourEyesStatus,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { VoiceRecordingPage } from '../VoiceRecordingPage/VoiceRecordingPage';
import { FourEyesGate } from './FourEyesGate';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const DAVE = 'user:default/dave';
const OBSERVERS = 'group:default/observers';
const inMinutes = (m: number) =>
  new Date(Date.now() + m * 60_000).toISOString();

const session = (extra: Partial<FourEyesSession> = {}): FourEyesSession => ({
  id: 's1',
  userRef: 'user:default/erik',
  observerRef: OBSERVERS,
  state: 'pending',
  requestedAt: new Date().toISOString(),
  ...extra,
});
const flagged = (extra: Partial<FourEyesStatus> = {}): FourEyesStatus => ({
  required: true,
  access: false,
  observerRef: OBSERVERS,
  sessionMinutes: 60,
  ...extra,
});

function renderGate(statuses: FourEyesStatus[]) {
  let i = 0;
  const api = {
    getFourEyesStatus: jest.fn(
      async () => statuses[Math.min(i++, statuses.length - 1)],
    ),
    askFourEyesConfirmation: jest.fn(async () => session()),
  };
  renderInTestApp(
    <FourEyesGate>
      <p>the recordings</p>
    </FourEyesGate>,
    {
      apis: [...catalogApis(), [voiceRecordingApiRef, api]],
      mountedRoutes: catalogRoutes,
    },
  );
  return api;
}

describe('FourEyesGate', () => {
  it('shows the page to a user who is not four-eyes', async () => {
    renderGate([{ required: false, access: true, sessionMinutes: 60 }]);
    expect(await screen.findByText('the recordings')).toBeInTheDocument();
    expect(screen.queryByTestId('four-eyes-gate')).not.toBeInTheDocument();
  });

  it('asks a four-eyes user for a confirmation, then waits for it', async () => {
    const api = renderGate([
      flagged(),
      flagged({ session: session({ requestedAt: '2026-12-06T09:05:00Z' }) }),
    ]);
    expect(
      await screen.findByRole('heading', {
        name: 'Your access to recordings needs an observer’s confirmation',
      }),
    ).toBeInTheDocument();
    expect(screen.queryByText('the recordings')).not.toBeInTheDocument();
    expect(screen.getByTestId('four-eyes-gate')).toHaveTextContent(
      'for 60 minutes',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Ask for confirmation' }),
    );
    expect(api.askFourEyesConfirmation).toHaveBeenCalledTimes(1);
    expect(await screen.findByTestId('four-eyes-state')).toHaveTextContent(
      /waiting for an observer to confirm/,
    );
    expect(screen.getByRole('button', { name: 'Ask again' })).toBeEnabled();
    expect(screen.queryByText('the recordings')).not.toBeInTheDocument();
  });

  it('opens the page once confirmed, with who confirmed and the time left', async () => {
    renderGate([
      flagged({
        access: true,
        session: session({
          state: 'confirmed',
          decidedBy: DAVE,
          expiresAt: inMinutes(45.5),
        }),
      }),
    ]);
    expect(await screen.findByText('the recordings')).toBeInTheDocument();
    const line = screen.getByTestId('four-eyes-session');
    await waitFor(() => expect(line).toHaveTextContent('Dave Janssens'));
    expect(line).toHaveTextContent(/\(45 minutes left\)/);
  });

  it('says who rejected the last request, and that an ended session needs a new one', async () => {
    renderGate([
      flagged({
        session: session({
          state: 'rejected',
          decidedBy: DAVE,
          decidedAt: new Date().toISOString(),
        }),
      }),
    ]);
    const state = await screen.findByTestId('four-eyes-state');
    await waitFor(() =>
      expect(state).toHaveTextContent(/rejected by Dave Janssens/),
    );
    expect(
      screen.getByRole('button', { name: 'Ask for confirmation' }),
    ).toBeInTheDocument();
  });

  it('shows the error of a failed request', async () => {
    const api = renderGate([flagged()]);
    api.askFourEyesConfirmation.mockRejectedValueOnce(
      new Error('not flagged four-eyes'),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Ask for confirmation' }),
    );
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'not flagged four-eyes',
    );
  });
});

describe('VoiceRecordingPage with a four-eyes user', () => {
  it('does not open the conversation list before a confirmation', async () => {
    const api = {
      getFourEyesStatus: jest.fn(async () => flagged()),
      listConversations: jest.fn(async () => ({ items: [], total: 0 })),
      listLabels: jest.fn(async () => ({ items: [] })),
      listCases: jest.fn(async () => ({ items: [] })),
    };
    renderInTestApp(<VoiceRecordingPage />, {
      apis: [
        ...catalogApis(),
        [voiceRecordingApiRef, api],
        mockApis.permission({ authorize: 'DENY' as any }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/*',
      initialRouteEntries: ['/voice-recording/conversations'],
    });
    expect(
      await screen.findByRole('heading', {
        name: 'Your access to recordings needs an observer’s confirmation',
      }),
    ).toBeInTheDocument();
    expect(api.listConversations).not.toHaveBeenCalled();
    // the Four-eyes tab is for admins
    expect(
      screen.queryByRole('tab', { name: 'Four-eyes' }),
    ).not.toBeInTheDocument();
  });
});
