/*
 * Archiver backend: the voice-recording plugin alone, with no capture module (no SIP, no
 * RTP port), taking archive jobs from the queue in the shared PostgreSQL: Opus
 * compression of the interim WAVs that recorders register (docs/deployment.md#archiver),
 * so that encoding CPU scales apart from call capacity. Several archivers, recorders and
 * portals take jobs side by side (leases in the queue; a job is done once).
 *
 * Like the recorder-only backend (recorder.ts), the plugin's other dependencies resolve
 * to the defaults of the new backend system: the catalog, notifications and permission
 * services are HTTP clients that find the portal through the discovery service
 * (app-config.archiver.yaml).
 *
 * Start: `yarn workspace backend start:archiver`.
 */

// first: sizes libuv's thread pool before anything uses it
import './threadPool';
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

// voiceRecording.archive.enabled: true (app-config.archiver.yaml); no capture module
backend.add(import('@mvr/plugin-voice-recording-backend'));

backend.start();
