/*
 * The adopter's frontend (new frontend system) with the suite's feature added as
 * docs/installation.md step 3 says.
 */
import { createApp } from '@backstage/frontend-defaults';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { ProxiedSignInPage } from '@backstage/core-components';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import voiceRecordingPlugin from '@mvr/plugin-voice-recording';

/** The portal's own sign-in: its `adopter` provider, the user named in localStorage. */
const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => props =>
      (
        <ProxiedSignInPage
          {...props}
          provider="adopter"
          headers={() => ({
            'x-adopter-user':
              window.localStorage.getItem('adopter-user') ?? 'guest',
          })}
        />
      ),
  },
});

export default createApp({
  features: [
    catalogPlugin,
    createFrontendModule({ pluginId: 'app', extensions: [signInPage] }),
    voiceRecordingPlugin,
  ],
});
