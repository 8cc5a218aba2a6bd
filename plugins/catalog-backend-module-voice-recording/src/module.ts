import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { RecordedNumberEntityProcessor } from './processor/RecordedNumberEntityProcessor';
import { VoiceRecordingEntityProvider } from './provider/VoiceRecordingEntityProvider';

/** Schedule used when `catalog.providers.voiceRecording.schedule` is not configured. */
export const DEFAULT_VOICE_RECORDING_PROVIDER_SCHEDULE: SchedulerServiceTaskScheduleDefinition =
  {
    frequency: { minutes: 10 },
    timeout: { minutes: 3 },
    initialDelay: { seconds: 5 },
  };

/**
 * Catalog module that emits a `RecordedNumber` entity for every recorded number of the
 * voice-recording backend, and the processor that validates those entities and relates
 * them to their owner and system on their own side only.
 */
export const catalogModuleVoiceRecording = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'voice-recording',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        events: eventsServiceRef,
      },
      async init({
        catalog,
        config,
        logger,
        auth,
        discovery,
        scheduler,
        lifecycle,
        events,
      }) {
        const providerConfig = config.getOptionalConfig(
          'catalog.providers.voiceRecording',
        );
        const schedule = providerConfig?.has('schedule')
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
              providerConfig.getConfig('schedule'),
            )
          : DEFAULT_VOICE_RECORDING_PROVIDER_SCHEDULE;

        const provider = new VoiceRecordingEntityProvider({
          auth,
          discovery,
          logger,
          events,
          taskRunner: scheduler.createScheduledTaskRunner(schedule),
          appBaseUrl: config.getString('app.baseUrl'),
          system:
            providerConfig?.getOptionalString('system') ??
            'mobile-voice-recording',
        });
        catalog.addProcessor(new RecordedNumberEntityProcessor());
        catalog.addEntityProvider(provider);
        lifecycle.addShutdownHook(() => provider.close());
      },
    });
  },
});
