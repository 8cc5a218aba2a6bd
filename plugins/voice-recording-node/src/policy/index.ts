export {
  VoiceRecordingPolicyHandler,
  createVoiceRecordingPolicyHandler,
  isVoiceRecordingPermission,
  isCatalogEntityPermission,
  DEFAULT_VOICE_RECORDING_ADMIN_GROUPS,
  RECORDED_NUMBER_ENTITY_TYPE,
  type HostPolicyDecide,
  type VoiceRecordingPolicyHandlerOptions,
} from './VoiceRecordingPolicyHandler';
export { allOfDecisions } from './allOfDecisions';
