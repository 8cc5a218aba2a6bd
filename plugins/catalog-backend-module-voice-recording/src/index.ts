/**
 * Catalog backend module that brings the recorded numbers of the voice-recording
 * backend into the software catalog as Resource entities.
 *
 * @packageDocumentation
 */
export { catalogModuleVoiceRecording as default } from './module';
export { DEFAULT_VOICE_RECORDING_PROVIDER_SCHEDULE } from './module';
export * from './provider/entityMapping';
export {
  VoiceRecordingEntityProvider,
  NUMBERS_PAGE_SIZE,
  type VoiceRecordingEntityProviderOptions,
} from './provider/VoiceRecordingEntityProvider';
