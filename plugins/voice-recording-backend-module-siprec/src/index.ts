/**
 * SIPREC (RFC 7866) recorder for Mobile Voice Recording: a backend module of the
 * voice-recording plugin (default export) that records the calls an SBC forks to it,
 * configured under `voiceRecording.recorder`. A test Session Recording Client is in the
 * `testing` entry point.
 *
 * The protocol layers (SIP message, transport, transaction, dialog; SIPREC body,
 * metadata and SDP answer; RTP; codecs; the call pipeline) are internal to the package.
 *
 * @packageDocumentation
 */
export { voiceRecordingModuleSiprec as default } from './module';
export { createSiprecModule } from './module';
export type { SiprecModuleOptions } from './module';
export type {
  SiprecServer,
  SiprecServerOptions,
  SiprecServerStats,
} from './server/SiprecServer';
export type { RecorderConfig, RecorderTlsConfig } from './server/config';
