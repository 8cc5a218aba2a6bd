import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  OTHER_PERMISSIONS_CONFIG_KEY,
  readOtherPermissionsChoice,
  VoiceRecordingPermissionPolicy,
} from './VoiceRecordingPermissionPolicy';

/**
 * Installs the suite's ready-made permission policy in the permission plugin, for a
 * portal without a policy of its own. What it answers for other plugins' permissions
 * is `voiceRecording.permissionPolicy.otherPermissions` (`deny` unless set).
 */
export const permissionModuleVoiceRecordingPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'voice-recording-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ policy, config, logger }) {
        const { configured } = readOtherPermissionsChoice(config);
        const voiceRecordingPolicy =
          VoiceRecordingPermissionPolicy.fromConfig(config);
        logger.info(
          `Voice-recording permission policy: admins are members of ${voiceRecordingPolicy.adminEntityRefs.join(
            ', ',
          )}; other plugins' permissions: ${
            voiceRecordingPolicy.otherPermissions
          }`,
        );
        if (!configured) {
          logger.warn(
            `${OTHER_PERMISSIONS_CONFIG_KEY} is not set: every permission of other plugins (catalog, scaffolder, ...) is DENIED. Set it to 'allow' to allow them to everybody signed in, or set 'deny' to keep this, or install your own policy and call the suite's handler from it instead of this module (docs/permissions.md).`,
          );
        }
        policy.setPolicy(voiceRecordingPolicy);
      },
    });
  },
});
