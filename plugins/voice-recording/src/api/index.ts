export * from './VoiceRecordingApi';
export { VoiceRecordingClient } from './VoiceRecordingClient';
export { errorMessage, errorDetails, errorStatus } from './errors';
export type { VoiceRecordingErrorDetails } from './errors';
