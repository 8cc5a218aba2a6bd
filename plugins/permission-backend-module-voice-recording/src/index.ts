/**
 * The voice-recording suite's ready-made permission policy, for a portal without a
 * policy of its own. A portal with its own policy does not install this module: it
 * calls `createVoiceRecordingPolicyHandler` of `@mvr/plugin-voice-recording-node`
 * from its policy (docs/permissions.md).
 *
 * @packageDocumentation
 */
export { permissionModuleVoiceRecordingPolicy as default } from './module';
export {
  VoiceRecordingPermissionPolicy,
  DEFAULT_OTHER_PERMISSIONS,
  OTHER_PERMISSIONS_CONFIG_KEY,
  type OtherPermissionsChoice,
  type VoiceRecordingPermissionPolicyOptions,
} from './VoiceRecordingPermissionPolicy';
export { DEFAULT_VOICE_RECORDING_ADMIN_GROUPS } from '@mvr/plugin-voice-recording-node';
