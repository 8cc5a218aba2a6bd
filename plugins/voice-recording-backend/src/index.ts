/**
 * The voice-recording backend plugin (Mobile Voice Recording for MiFID II).
 *
 * @packageDocumentation
 */
export { voiceRecordingPlugin as default } from './plugin';
export {
  voiceRecordingNumberResourceRef,
  voiceRecordingNumberPermissionRules,
  voiceRecordingNumberConditions,
  createVoiceRecordingNumberConditionalDecision,
  isNumberOwner,
  isSelfManaged,
} from './permissions';
export type { NumberQuery } from './permissions';
