import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { permissionModuleVoiceRecordingPolicy } from './module';
import { VoiceRecordingPermissionPolicy } from './VoiceRecordingPermissionPolicy';

describe('permissionModuleVoiceRecordingPolicy', () => {
  it('installs the voice-recording policy with the configured admin groups', async () => {
    const setPolicy = jest.fn();
    await startTestBackend({
      extensionPoints: [[policyExtensionPoint, { setPolicy }]],
      features: [
        permissionModuleVoiceRecordingPolicy,
        mockServices.rootConfig.factory({
          data: { voiceRecording: { adminGroups: ['group:default/risk'] } },
        }),
      ],
    });
    expect(setPolicy).toHaveBeenCalledTimes(1);
    const policy = setPolicy.mock.calls[0][0];
    expect(policy).toBeInstanceOf(VoiceRecordingPermissionPolicy);
    expect(policy.adminEntityRefs).toEqual(['group:default/risk']);
  });
});
