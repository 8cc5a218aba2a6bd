/**
 * SIPREC (RFC 7866) recorder for Mobile Voice Recording: a backend module of the
 * voice-recording plugin (default export), and its protocol layers: SIP message,
 * transport, transaction and dialog; SIPREC body, metadata and SDP answer; RTP;
 * codecs; the call pipeline and the server.
 *
 * @packageDocumentation
 */
export { voiceRecordingModuleSiprec as default } from './module';
export { createSiprecModule } from './module';
export type { SiprecModuleOptions } from './module';
export { SiprecServer, REFUSAL_RESPONSES, ALLOW } from './server/SiprecServer';
export type { SiprecServerOptions, SiprecServerStats } from './server/SiprecServer';
export { readRecorderConfig } from './server/config';
export type { RecorderConfig, RecorderTlsConfig } from './server/config';
export { SiprecCaptureSource } from './server/SiprecCaptureSource';
export { CallSession } from './call/CallSession';
export { recoverCalls } from './call/recoverCalls';
export { DatabaseHealth, INVITE_DATABASE_BUDGET_MS } from './call/databaseHealth';
export type { DatabaseStatus } from './call/databaseHealth';
export { RegistrationQueue } from './call/RegistrationQueue';
export type { RegistrationQueueStats } from './call/RegistrationQueue';
export { PortAllocator } from './media/PortAllocator';
export { RtpReceiver } from './media/RtpReceiver';
export * from './sip/message';
export * from './sip/transport';
export * from './sip/transaction';
export * from './sip/dialog';
export * from './siprec';
export * from './rtp';
export * from './codecs';
