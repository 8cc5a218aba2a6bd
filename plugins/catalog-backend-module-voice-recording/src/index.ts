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
export {
  ANNOTATION_VOICE_RECORDING_NUMBER_ID,
  ANNOTATION_VOICE_RECORDING_NUMBER,
  LABEL_VOICE_RECORDING_MVR_ACTIVE,
  RECORDED_NUMBER_RESOURCE_TYPE,
  RECORDED_NUMBER_KIND,
  RECORDED_NUMBER_API_VERSION,
} from './provider/entityMapping';
export { isRecordedNumberEntity } from './processor/RecordedNumberEntityProcessor';
