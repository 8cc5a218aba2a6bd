import { Suspense } from 'react';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  configApiRef,
  discoveryApiRef,
  IdentityApi,
} from '@backstage/frontend-plugin-api';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { PortalSignInPage } from './PortalSignInPage';
import { oidcAuthApiRef } from './oidcAuthApi';
import { readSignInMode } from './signInMode';

const discoveryApi = {
  getBaseUrl: async (pluginId: string) =>
    `http://localhost:7007/api/${pluginId}`,
};

const PRODUCTION = {
  auth: { environment: 'production' },
  voiceRecording: { demoSignIn: { enabled: false } },
};

/** The OIDC auth API as the SignInPage uses it: a silent check, then the popup. */
function oidcApi() {
  return {
    getBackstageIdentity: jest.fn(
      async (options?: { optional?: boolean; instantPopup?: boolean }) =>
        options?.optional
          ? undefined
          : {
              id: 'alice',
              token: 'a-token',
              identity: {
                type: 'user' as const,
                userEntityRef: 'user:default/alice',
                ownershipEntityRefs: [
                  'user:default/alice',
                  'group:default/compliance',
                ],
              },
            },
    ),
    getProfile: jest.fn(async () => ({ displayName: 'Alice Martin' })),
    getIdToken: jest.fn(),
    signIn: jest.fn(),
    signOut: jest.fn(),
    sessionState$: jest.fn(),
  };
}

async function renderPage(
  data: object,
  oidc = oidcApi(),
  onSignInSuccess: (identity: IdentityApi) => void = jest.fn(),
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [
          configApiRef,
          mockApis.config({
            data: { app: { title: 'Mobile Voice Recording' }, ...data } as any,
          }),
        ],
        [discoveryApiRef, discoveryApi],
        [oidcAuthApiRef, oidc as any],
      ]}
    >
      {/* the SignInPage suspends while its translations load */}
      <Suspense fallback="loading">
        <PortalSignInPage onSignInSuccess={onSignInSuccess} />
      </Suspense>
    </TestApiProvider>,
  );
  return oidc;
}

describe('readSignInMode', () => {
  const config = (data: object) => mockApis.config({ data: data as any });

  it('offers the demo sign-in only with auth.environment development and the demo not disabled', () => {
    expect(
      readSignInMode(config({ auth: { environment: 'development' } })),
    ).toEqual({ kind: 'demo' });
    for (const data of [
      {},
      { auth: { environment: 'production' } },
      { auth: { environment: 'staging' } },
      {
        auth: { environment: 'development' },
        voiceRecording: { demoSignIn: { enabled: false } },
      },
    ]) {
      expect(readSignInMode(config(data)).kind).toBe('providers');
    }
  });

  it('reads app.signIn.providers, with OIDC as the default', () => {
    expect(readSignInMode(config(PRODUCTION))).toEqual({
      kind: 'providers',
      providers: [
        {
          id: 'oidc',
          title: 'Company account',
          message: 'Sign in with your company account',
        },
      ],
    });
    expect(
      readSignInMode(
        config({
          ...PRODUCTION,
          app: { signIn: { providers: [{ id: 'oidc', title: 'ACME SSO' }] } },
        }),
      ),
    ).toEqual({
      kind: 'providers',
      providers: [
        {
          id: 'oidc',
          title: 'ACME SSO',
          message: 'Sign in with your company account',
        },
      ],
    });
  });

  it('names the config key of a provider the app has no API for', () => {
    for (const id of ['github', 'toString']) {
      expect(() =>
        readSignInMode(
          config({ ...PRODUCTION, app: { signIn: { providers: [{ id }] } } }),
        ),
      ).toThrow(
        `app.signIn.providers[0].id: unknown sign-in provider "${id}", supported: oidc`,
      );
    }
  });
});

describe('PortalSignInPage', () => {
  it('shows the demo user picker in development', async () => {
    const oidc = await renderPage({ auth: { environment: 'development' } });
    expect(
      await screen.findByRole('button', { name: 'Sign in as Alice' }),
    ).toBeInTheDocument();
    expect(screen.queryByText('Company account')).toBeNull();
    expect(oidc.getBackstageIdentity).not.toHaveBeenCalled();
  });

  it('offers the OIDC provider and no demo users in production, and signs in through it', async () => {
    const onSignInSuccess = jest.fn();
    const oidc = await renderPage(PRODUCTION, oidcApi(), onSignInSuccess);

    expect(await screen.findByText('Company account')).toBeInTheDocument();
    expect(
      screen.getByText('Sign in with your company account'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Sign in as / })).toBeNull();
    expect(screen.queryByText('Demo users')).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Sign In' }));
    await waitFor(() => expect(onSignInSuccess).toHaveBeenCalledTimes(1));
    expect(oidc.getBackstageIdentity).toHaveBeenCalledWith(
      expect.objectContaining({ instantPopup: true }),
    );
    const identity: IdentityApi = onSignInSuccess.mock.calls[0][0];
    await expect(identity.getBackstageIdentity()).resolves.toMatchObject({
      userEntityRef: 'user:default/alice',
    });
  });

  it('says what is wrong when a configured provider is not supported', async () => {
    await renderPage({
      ...PRODUCTION,
      app: { signIn: { providers: [{ id: 'github' }] } },
    });
    expect(
      await screen.findByText(/Sign-in is not configured/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/unknown sign-in provider "github"/).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByRole('button', { name: 'Sign In' })).toBeNull();
  });
});
