import { ConfigApi } from '@backstage/frontend-plugin-api';
import { OIDC_PROVIDER_ID } from './oidcAuthApi';

/** A provider offered on the production sign-in page (`app.signIn.providers`). */
export interface SignInProviderChoice {
  /** Backend auth provider id; `oidc` is the one the portal supports. */
  id: typeof OIDC_PROVIDER_ID;
  title: string;
  message: string;
}

/** What the sign-in page offers, decided from the frontend configuration. */
export type SignInMode =
  | { kind: 'demo' }
  | { kind: 'providers'; providers: SignInProviderChoice[] };

const SUPPORTED_PROVIDERS: Record<string, Omit<SignInProviderChoice, 'id'>> = {
  [OIDC_PROVIDER_ID]: {
    title: 'Company account',
    message: 'Sign in with your company account',
  },
};

/**
 * The demo user picker only where the backend registers the demo provider:
 * `auth.environment` explicitly `development` and `voiceRecording.demoSignIn.enabled`
 * not false (packages/backend/src/modules/demoSignInProvider.ts). Anywhere else the
 * page offers `app.signIn.providers` (default: the OIDC provider). Throws on a
 * provider id the app has no API for, naming the config key.
 */
export function readSignInMode(config: ConfigApi): SignInMode {
  const demo =
    config.getOptionalString('auth.environment') === 'development' &&
    config.getOptionalBoolean('voiceRecording.demoSignIn.enabled') !== false;
  if (demo) {
    return { kind: 'demo' };
  }
  const entries = config.getOptionalConfigArray('app.signIn.providers');
  if (!entries || entries.length === 0) {
    return {
      kind: 'providers',
      providers: [{ id: OIDC_PROVIDER_ID, ...SUPPORTED_PROVIDERS.oidc }],
    };
  }
  const providers = entries.map((entry, index) => {
    const id = entry.getString('id');
    const defaults = Object.hasOwn(SUPPORTED_PROVIDERS, id)
      ? SUPPORTED_PROVIDERS[id]
      : undefined;
    if (!defaults) {
      throw new Error(
        `app.signIn.providers[${index}].id: unknown sign-in provider ${JSON.stringify(
          id,
        )}, supported: ${Object.keys(SUPPORTED_PROVIDERS).join(', ')}`,
      );
    }
    return {
      id: id as typeof OIDC_PROVIDER_ID,
      title: entry.getOptionalString('title') ?? defaults.title,
      message: entry.getOptionalString('message') ?? defaults.message,
    };
  });
  return { kind: 'providers', providers };
}
