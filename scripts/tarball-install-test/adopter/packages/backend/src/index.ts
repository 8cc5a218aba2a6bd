/*
 * The adopter's backend: a portal as a platform team runs it (new backend system),
 * with the suite added as docs/installation.md says (steps 2 and 4).
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

// What the portal had already.
backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('./headerSignIn'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// docs/installation.md step 2: the plugin, the recorder, the catalog module.
backend.add(import('@mvr/plugin-voice-recording-backend'));
backend.add(import('@mvr/plugin-voice-recording-backend-module-siprec'));
backend.add(import('@mvr/plugin-catalog-backend-module-voice-recording'));
// step 4, a portal without a policy of its own: the ready-made policy module.
backend.add(import('@mvr/plugin-permission-backend-module-voice-recording'));

backend.start();
