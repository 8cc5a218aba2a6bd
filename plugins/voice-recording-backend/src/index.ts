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
// Entry of the audio derivation worker thread (a built package loads it from here).
export { runAudioDerivationWorker } from './audio/derivations';
