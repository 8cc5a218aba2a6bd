import { ConfigReader } from '@backstage/config';
import { AuthResolverContext } from '@backstage/plugin-auth-node';
import {
  createDemoAuthenticator,
  demoSignInRefusal,
  demoSignInResolver,
  parseDemoUser,
} from './demoSignInProvider';

const config = (data: object) => new ConfigReader(data);

describe('demoSignInRefusal', () => {
  it('allows the demo sign-in only when auth.environment is development', () => {
    expect(
      demoSignInRefusal(config({ auth: { environment: 'development' } })),
    ).toBeUndefined();
    expect(
      demoSignInRefusal(config({ auth: { environment: 'production' } })),
    ).toMatch(/auth.environment is 'production'/);
    expect(demoSignInRefusal(config({}))).toMatch(
      /auth.environment is '\(unset\)'/,
    );
  });

  it('can be switched off in development', () => {
    expect(
      demoSignInRefusal(
        config({
          auth: { environment: 'development' },
          voiceRecording: { demoSignIn: { enabled: false } },
        }),
      ),
    ).toMatch(/voiceRecording.demoSignIn.enabled is false/);
  });
});

describe('parseDemoUser', () => {
  it('accepts a user name or a user entity ref', () => {
    expect(parseDemoUser('bob')).toBe('user:default/bob');
    expect(parseDemoUser(' user:default/alice ')).toBe('user:default/alice');
    expect(parseDemoUser(['carol'])).toBe('user:default/carol');
  });

  it('refuses a missing header and non-user refs', () => {
    expect(() => parseDemoUser(undefined)).toThrow(
      /missing header 'x-mvr-demo-user'/,
    );
    expect(() => parseDemoUser('group:default/compliance')).toThrow(
      /must name a User/,
    );
  });
});

describe('demo authenticator', () => {
  const req = (headers: Record<string, string>) => ({
    req: { headers } as any,
  });

  it('reads the user from the header while allowed', async () => {
    const authenticator = createDemoAuthenticator(() => undefined);
    await expect(
      authenticator.authenticate(req({ 'x-mvr-demo-user': 'bob' }), undefined),
    ).resolves.toEqual({ result: { userEntityRef: 'user:default/bob' } });
  });

  it('refuses every request once the configuration forbids it', async () => {
    const authenticator = createDemoAuthenticator(
      () => 'auth.environment is production',
    );
    await expect(
      authenticator.authenticate(req({ 'x-mvr-demo-user': 'bob' }), undefined),
    ).rejects.toThrow(
      /Demo sign-in is disabled: auth.environment is production/,
    );
  });
});

describe('demoSignInResolver', () => {
  it('signs in as the catalog user', async () => {
    const signInWithCatalogUser = jest.fn().mockResolvedValue({ token: 't' });
    const ctx = { signInWithCatalogUser } as unknown as AuthResolverContext;
    await expect(
      demoSignInResolver(
        { profile: {}, result: { userEntityRef: 'user:default/bob' } },
        ctx,
      ),
    ).resolves.toEqual({ token: 't' });
    expect(signInWithCatalogUser).toHaveBeenCalledWith({
      entityRef: 'user:default/bob',
    });
  });

  it('refuses users that are not in the catalog (no fallback identity)', async () => {
    const ctx = {
      signInWithCatalogUser: jest
        .fn()
        .mockRejectedValue(new Error('User not found')),
    } as unknown as AuthResolverContext;
    await expect(
      demoSignInResolver(
        { profile: {}, result: { userEntityRef: 'user:default/mallory' } },
        ctx,
      ),
    ).rejects.toThrow(/no catalog user 'user:default\/mallory'/);
  });
});
