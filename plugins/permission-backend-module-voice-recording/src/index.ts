/**
 * Permission policy module of the Mobile Voice Recording portal.
 *
 * @packageDocumentation
 */
export { permissionModuleVoiceRecordingPolicy as default } from './module';
export {
  VoiceRecordingPermissionPolicy,
  DEFAULT_VOICE_RECORDING_ADMIN_GROUPS,
  type VoiceRecordingPermissionPolicyOptions,
} from './VoiceRecordingPermissionPolicy';
