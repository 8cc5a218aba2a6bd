import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { oidcAuthApi } from './oidcAuthApi';

/**
 * The sign-in page: the demo user picker in development only (auth.environment
 * `development`), the company's OpenID Connect provider otherwise (docs/auth.md).
 */
export const portalSignInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => (await import('./PortalSignInPage')).PortalSignInPage,
  },
});

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [portalSignInPage, oidcAuthApi],
});
