/*
 * Recorder-only backend: the voice-recording plugin and its SIPREC module, nothing else
 * (no catalog, auth, permission, notifications or app plugins), for deployments that
 * run recorders apart from the portal (docs/recorder.md#running-the-recorder-separately).
 *
 * The plugin's other dependencies resolve to the defaults of the new backend system:
 * the catalog, notifications and permission services are HTTP clients that find the
 * portal through the discovery service (`discovery.endpoints`, see
 * app-config.recorder.yaml); the events service is in-process. The recorder shares the
 * voice-recording database with the portal (`backend.database`).
 *
 * Start: `yarn workspace backend start:recorder`.
 */

// first: sizes libuv's thread pool before anything uses it
import './threadPool';
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@mvr/plugin-voice-recording-backend'));
// SIPREC recorder (Session Recording Server), configured under voiceRecording.recorder.
backend.add(import('@mvr/plugin-voice-recording-backend-module-siprec'));

backend.start();
