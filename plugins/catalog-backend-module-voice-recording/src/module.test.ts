import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogModuleVoiceRecording } from './module';
import { RecordedNumberEntityProcessor } from './processor/RecordedNumberEntityProcessor';
import { VoiceRecordingEntityProvider } from './provider/VoiceRecordingEntityProvider';

describe('catalogModuleVoiceRecording', () => {
  it('registers the entity provider with the configured schedule, and the processor of its entities', async () => {
    const addEntityProvider = jest.fn();
    const addProcessor = jest.fn();
    const scheduler = mockServices.scheduler.mock();

    await startTestBackend({
      extensionPoints: [
        [
          catalogProcessingExtensionPoint,
          { addEntityProvider, addProcessor } as any,
        ],
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
    expect(addProcessor).toHaveBeenCalledWith(
      expect.any(RecordedNumberEntityProcessor),
    );
    expect(scheduler.createScheduledTaskRunner).toHaveBeenCalledWith(
      expect.objectContaining({
        frequency: { minutes: 3 },
        timeout: { minutes: 1 },
      }),
    );
  });
});
