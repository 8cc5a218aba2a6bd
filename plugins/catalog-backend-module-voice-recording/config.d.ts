import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /** Recorded numbers of the voice-recording backend as catalog Resources. */
      voiceRecording?: {
        /** Full refresh schedule; default every 10 minutes, first run 5 s after start. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        /** `spec.system` of the emitted resources; default `mobile-voice-recording`. */
        system?: string;
      };
    };
  };
}
