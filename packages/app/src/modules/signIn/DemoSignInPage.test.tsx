import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { discoveryApiRef, IdentityApi } from '@backstage/core-plugin-api';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { DemoSignInPage } from './DemoSignInPage';
import { DEMO_USER_STORAGE_KEY } from './demoUsers';

const discoveryApi = {
  getBaseUrl: async (pluginId: string) =>
    `http://localhost:7007/api/${pluginId}`,
};

/** An unsigned JWT-shaped token: the sign-in page only reads its expiry. */
function fakeToken(name: string) {
  const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '');
  return `${part({ alg: 'none' })}.${part({
    sub: `user:default/${name}`,
    exp: Math.floor(Date.now() / 1000) + 3600,
  })}.sig`;
}

const issuedTokens = new Map<string, string>();

function identityResponse(name: string) {
  issuedTokens.set(name, fakeToken(name));
  return {
    profile: { displayName: name },
    backstageIdentity: {
      token: issuedTokens.get(name),
      expiresInSeconds: 3600,
      identity: {
        type: 'user',
        userEntityRef: `user:default/${name}`,
        ownershipEntityRefs: [`user:default/${name}`],
      },
    },
  };
}

describe('DemoSignInPage', () => {
  const fetchMock = jest.fn();
  const originalFetch = global.fetch;

  beforeEach(() => {
    window.localStorage.clear();
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (_url: string, init: RequestInit) => {
      const name = new Headers(init.headers).get('x-mvr-demo-user')!;
      return new Response(JSON.stringify(identityResponse(name)), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    });
    global.fetch = fetchMock as any;
  });
  afterAll(() => {
    global.fetch = originalFetch;
  });

  async function renderPage(onSignInSuccess: (identity: IdentityApi) => void) {
    await renderInTestApp(
      <TestApiProvider apis={[[discoveryApiRef, discoveryApi]]}>
        <DemoSignInPage onSignInSuccess={onSignInSuccess} />
      </TestApiProvider>,
    );
  }

  it('lists the demo users with accessible sign-in buttons', async () => {
    await renderPage(jest.fn());
    for (const name of ['Alice', 'Bob', 'Carol', 'Dave']) {
      expect(
        screen.getByRole('button', { name: `Sign in as ${name}` }),
      ).toBeInTheDocument();
    }
    expect(screen.getByText(/Compliance officer/)).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('signs in through the demo provider with the user header and remembers the choice', async () => {
    const onSignInSuccess = jest.fn();
    await renderPage(onSignInSuccess);

    await userEvent.click(
      screen.getByRole('button', { name: 'Sign in as Bob' }),
    );

    await waitFor(() => expect(onSignInSuccess).toHaveBeenCalledTimes(1));
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('http://localhost:7007/api/auth/demo/refresh');
    expect(new Headers(init.headers).get('x-mvr-demo-user')).toBe('bob');
    expect(window.localStorage.getItem(DEMO_USER_STORAGE_KEY)).toBe('bob');

    const identity: IdentityApi = onSignInSuccess.mock.calls[0][0];
    await expect(identity.getBackstageIdentity()).resolves.toMatchObject({
      userEntityRef: 'user:default/bob',
    });
    await expect(identity.getCredentials()).resolves.toEqual({
      token: issuedTokens.get('bob'),
    });

    await identity.signOut();
    expect(window.localStorage.getItem(DEMO_USER_STORAGE_KEY)).toBeNull();
  });

  it('signs in again without a click after a reload', async () => {
    window.localStorage.setItem(DEMO_USER_STORAGE_KEY, 'carol');
    const onSignInSuccess = jest.fn();
    await renderPage(onSignInSuccess);

    await waitFor(() => expect(onSignInSuccess).toHaveBeenCalledTimes(1));
    expect(
      new Headers(fetchMock.mock.calls[0][1].headers).get('x-mvr-demo-user'),
    ).toBe('carol');
    expect(screen.queryByRole('button', { name: 'Sign in as Bob' })).toBeNull();
  });

  it('offers to choose another user when the remembered one cannot sign in', async () => {
    window.localStorage.setItem(DEMO_USER_STORAGE_KEY, 'dave');
    fetchMock.mockImplementation(
      async () =>
        new Response(
          JSON.stringify({
            error: { name: 'AuthenticationError', message: 'no catalog user' },
          }),
          { status: 401, headers: { 'content-type': 'application/json' } },
        ),
    );
    const onSignInSuccess = jest.fn();
    await renderPage(onSignInSuccess);

    await userEvent.click(
      await screen.findByRole('button', { name: 'Choose another user' }),
    );
    expect(window.localStorage.getItem(DEMO_USER_STORAGE_KEY)).toBeNull();
    expect(
      screen.getByRole('button', { name: 'Sign in as Dave' }),
    ).toBeInTheDocument();
    expect(onSignInSuccess).not.toHaveBeenCalled();
  });
});
