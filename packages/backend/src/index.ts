/*
 * Backend of the Mobile Voice Recording portal (Backstage new backend system).
 *
 * One process serves the API plugins and, through app-backend, the built frontend
 * (`yarn workspace app build`). See docs/auth.md for sign-in in development and
 * production.
 */

// first: sizes libuv's thread pool before anything uses it
import './threadPool';
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

// Serves the frontend bundle of packages/app.
backend.add(import('@backstage/plugin-app-backend'));

// Auth. No guest provider: in development the demo provider below signs in as a
// catalog user; in production the company's OpenID Connect provider does
// (auth.providers.oidc, users resolved to catalog users by e-mail; docs/auth.md).
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-oidc-provider'));
// DEVELOPMENT ONLY: registers itself only when auth.environment is `development`.
backend.add(import('./modules/demoSignInProvider'));

// Software catalog.
backend.add(import('@backstage/plugin-catalog-backend'));
// See https://backstage.io/docs/features/software-catalog/configuration#subscribing-to-catalog-errors
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// Recorded numbers as catalog Resources owned by their users.
backend.add(import('@mvr/plugin-catalog-backend-module-voice-recording'));

// Permissions, with the voice-recording policy (admins = voiceRecording.adminGroups).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('@mvr/plugin-permission-backend-module-voice-recording'));

// Notifications and signals (the events service is the default one of backend-defaults).
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// Voice recording.
backend.add(import('@mvr/plugin-voice-recording-backend'));
// SIPREC recorder (Session Recording Server), configured under voiceRecording.recorder.
backend.add(import('@mvr/plugin-voice-recording-backend-module-siprec'));

backend.start();
