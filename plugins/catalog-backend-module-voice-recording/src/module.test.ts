import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogModuleVoiceRecording } from './module';
import { VoiceRecordingEntityProvider } from './provider/VoiceRecordingEntityProvider';

describe('catalogModuleVoiceRecording', () => {
  it('registers the entity provider with the configured schedule', async () => {
    const addEntityProvider = jest.fn();
    const scheduler = mockServices.scheduler.mock();

    await startTestBackend({
      extensionPoints: [
        [catalogProcessingExtensionPoint, { addEntityProvider } as any],
      ],
      features: [
        catalogModuleVoiceRecording,
        scheduler.factory,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:7007' },
            catalog: {
              providers: {
                voiceRecording: {
                  schedule: {
                    frequency: { minutes: 3 },
                    timeout: { minutes: 1 },
                  },
                },
              },
            },
          },
        }),
      ],
    });

    expect(addEntityProvider).toHaveBeenCalledWith(
      expect.any(VoiceRecordingEntityProvider),
    );
    expect(scheduler.createScheduledTaskRunner).toHaveBeenCalledWith(
      expect.objectContaining({
        frequency: { minutes: 3 },
        timeout: { minutes: 1 },
      }),
    );
  });
});
