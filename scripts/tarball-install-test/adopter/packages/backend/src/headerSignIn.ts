/*
 * The adopter's own sign-in, standing in for the authenticating reverse proxy a
 * portal may run behind: provider `adopter` signs in as the catalog user named in the
 * `x-adopter-user` header (resolved to the catalog entity, with its groups).
 * Test fixture only: it trusts the header.
 */
import { createBackendModule } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { AuthenticationError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';

export default createBackendModule({
  pluginId: 'auth',
  moduleId: 'adopter-header-sign-in',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'adopter',
          factory: createProxyAuthProviderFactory({
            authenticator: createProxyAuthenticator({
              defaultProfileTransform: async () => ({ profile: {} }),
              initialize: () => undefined,
              async authenticate({ req }) {
                const name = req.header('x-adopter-user');
                if (!name || !/^[a-z0-9-]+$/.test(name)) {
                  throw new AuthenticationError(
                    'missing or invalid x-adopter-user',
                  );
                }
                return { result: { name } };
              },
            }),
            signInResolver: async ({ result }, ctx) =>
              ctx.signInWithCatalogUser({
                entityRef: stringifyEntityRef({
                  kind: 'User',
                  namespace: 'default',
                  name: result.name,
                }),
              }),
          }),
        });
      },
    });
  },
});
