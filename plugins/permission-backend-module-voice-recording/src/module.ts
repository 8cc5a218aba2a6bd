import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { VoiceRecordingPermissionPolicy } from './VoiceRecordingPermissionPolicy';

/** Installs the voice-recording permission policy in the permission plugin. */
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
        const voiceRecordingPolicy =
          VoiceRecordingPermissionPolicy.fromConfig(config);
        logger.info(
          `Voice-recording permission policy: admins are members of ${voiceRecordingPolicy.adminEntityRefs.join(
            ', ',
          )}`,
        );
        policy.setPolicy(voiceRecordingPolicy);
      },
    });
  },
});
