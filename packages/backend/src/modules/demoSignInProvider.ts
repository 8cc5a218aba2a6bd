import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
} from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
  SignInResolver,
} from '@backstage/plugin-auth-node';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';

/** Header naming the catalog user to sign in as (a name like `bob` or a ref). */
export const DEMO_USER_HEADER = 'x-mvr-demo-user';
export const DEMO_PROVIDER_ID = 'demo';

/** Result of the demo authenticator: the catalog user the caller asked for. */
export interface DemoSignInResult {
  userEntityRef: string;
}

/**
 * Why the demo sign-in is not allowed with this configuration, or undefined when
 * it is. The demo sign-in lets anybody impersonate anybody: it is only allowed when
 * `auth.environment` is explicitly `development` and
 * `voiceRecording.demoSignIn.enabled` is not false.
 */
export function demoSignInRefusal(config: Config): string | undefined {
  const environment = config.getOptionalString('auth.environment');
  if (environment !== 'development') {
    return `auth.environment is '${
      environment ?? '(unset)'
    }', the demo sign-in requires 'development'`;
  }
  if (
    config.getOptionalBoolean('voiceRecording.demoSignIn.enabled') === false
  ) {
    return 'voiceRecording.demoSignIn.enabled is false';
  }
  return undefined;
}

/** Reads the demo user header and turns it into a user entity ref. */
export function parseDemoUser(header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) {
    throw new AuthenticationError(
      `Demo sign-in: missing header '${DEMO_USER_HEADER}' naming a catalog user`,
    );
  }
  let ref;
  try {
    ref = parseEntityRef(value, {
      defaultKind: 'user',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new InputError(
      `Demo sign-in: header '${DEMO_USER_HEADER}' is not a valid user name or ref: ${
        (error as Error).message
      }`,
    );
  }
  if (ref.kind.toLocaleLowerCase('en-US') !== 'user') {
    throw new InputError(
      `Demo sign-in: header '${DEMO_USER_HEADER}' must name a User, got kind '${ref.kind}'`,
    );
  }
  return stringifyEntityRef(ref);
}

/** Authenticator of the demo provider; `allowed` is decided once from root config. */
export function createDemoAuthenticator(refusal: () => string | undefined) {
  return createProxyAuthenticator<undefined, DemoSignInResult, undefined>({
    defaultProfileTransform: async () => ({ profile: {} }),
    initialize: () => undefined,
    async authenticate({ req }) {
      const reason = refusal();
      if (reason) {
        throw new NotAllowedError(`Demo sign-in is disabled: ${reason}`);
      }
      return {
        result: { userEntityRef: parseDemoUser(req.headers[DEMO_USER_HEADER]) },
      };
    },
  });
}

/**
 * Signs in as the requested catalog user, with the ownership refs of that user
 * (its groups). Unknown users are refused: there is no fallback identity.
 */
export const demoSignInResolver: SignInResolver<DemoSignInResult> = async (
  { result },
  ctx,
) => {
  try {
    return await ctx.signInWithCatalogUser({ entityRef: result.userEntityRef });
  } catch (error) {
    throw new AuthenticationError(
      `Demo sign-in: no catalog user '${result.userEntityRef}'`,
      error,
    );
  }
};

/**
 * DEVELOPMENT ONLY: auth provider `demo` that signs in as the catalog user named in
 * the `x-mvr-demo-user` header, without any credential. Registered only when
 * `auth.environment` is `development` (and `voiceRecording.demoSignIn.enabled` is not
 * false); the authenticator checks again on every request.
 */
export const authModuleDemoSignInProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'mvr-demo-sign-in-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ providers, config, logger }) {
        const reason = demoSignInRefusal(config);
        if (reason) {
          logger.info(`Demo sign-in provider not registered: ${reason}`);
          return;
        }
        logger.warn(
          `Demo sign-in provider '${DEMO_PROVIDER_ID}' is ENABLED: anybody can sign in as any catalog user. Development only.`,
        );
        providers.registerProvider({
          providerId: DEMO_PROVIDER_ID,
          factory: createProxyAuthProviderFactory({
            authenticator: createDemoAuthenticator(() =>
              demoSignInRefusal(config),
            ),
            signInResolver: demoSignInResolver,
          }),
        });
      },
    });
  },
});

export default authModuleDemoSignInProvider;
