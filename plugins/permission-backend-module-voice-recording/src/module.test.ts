import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { permissionModuleVoiceRecordingPolicy } from './module';
import { VoiceRecordingPermissionPolicy } from './VoiceRecordingPermissionPolicy';

describe('permissionModuleVoiceRecordingPolicy', () => {
  const start = (voiceRecording: Record<string, any>) => {
    const setPolicy = jest.fn();
    const logger = mockServices.logger.mock();
    const started = startTestBackend({
      extensionPoints: [[policyExtensionPoint, { setPolicy }]],
      features: [
        permissionModuleVoiceRecordingPolicy,
        logger.factory,
        mockServices.rootConfig.factory({ data: { voiceRecording } }),
      ],
    });
    return { setPolicy, logger, started };
  };

  it('installs the voice-recording policy with the configured admin groups and choice', async () => {
    const { setPolicy, logger, started } = start({
      adminGroups: ['group:default/risk'],
      permissionPolicy: { otherPermissions: 'allow' },
    });
    await started;
    expect(setPolicy).toHaveBeenCalledTimes(1);
    const policy = setPolicy.mock.calls[0][0];
    expect(policy).toBeInstanceOf(VoiceRecordingPermissionPolicy);
    expect(policy.adminEntityRefs).toEqual(['group:default/risk']);
    expect(policy.otherPermissions).toBe('allow');
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it("denies other plugins' permissions unless configured, and warns at startup", async () => {
    const { setPolicy, logger, started } = start({});
    await started;
    expect(setPolicy.mock.calls[0][0].otherPermissions).toBe('deny');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /voiceRecording\.permissionPolicy\.otherPermissions is not set: every permission of other plugins .* is DENIED/,
      ),
    );
  });

  it('refuses to start with a bad value, saying which setting is wrong', async () => {
    const { setPolicy, started } = start({
      permissionPolicy: { otherPermissions: 'all' },
    });
    await expect(started).rejects.toThrow(
      /voiceRecording\.permissionPolicy\.otherPermissions "all": it must be one of 'deny', 'allow'/,
    );
    expect(setPolicy).not.toHaveBeenCalled();
  });
});
