/**
 * Catalog backend module that brings the recorded numbers of the voice-recording
 * backend into the software catalog as `RecordedNumber` entities, which relate to
 * their owner and system on their own side only (who may read them is the permission
 * policy's decision).
 *
 * @packageDocumentation
 */
export { catalogModuleVoiceRecording as default } from './module';
export { DEFAULT_VOICE_RECORDING_PROVIDER_SCHEDULE } from './module';
export * from './provider/entityMapping';
export { RecordedNumberEntityProcessor } from './processor/RecordedNumberEntityProcessor';
export {
  VoiceRecordingEntityProvider,
  NUMBERS_PAGE_SIZE,
  type VoiceRecordingEntityProviderOptions,
} from './provider/VoiceRecordingEntityProvider';
