// The number resource, its rules and condition exports live in -node so that the
// permission policy module can use them without importing this plugin.
export {
  voiceRecordingNumberResourceRef,
  voiceRecordingNumberPermissionRules,
  voiceRecordingNumberConditions,
  createVoiceRecordingNumberConditionalDecision,
  isNumberOwner,
  isSelfManaged,
} from '@mvr/plugin-voice-recording-node';
export type { NumberQuery } from '@mvr/plugin-voice-recording-node';
