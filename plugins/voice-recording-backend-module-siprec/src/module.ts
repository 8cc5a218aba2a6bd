import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { voiceRecordingCaptureExtensionPoint } from '@mvr/plugin-voice-recording-node';
import { readRecorderConfig } from './server/config';
import { SiprecCaptureSource } from './server/SiprecCaptureSource';
import type { SiprecServer } from './server/SiprecServer';

export interface SiprecModuleOptions {
  /** Called with the running server (tests read its bound ports). */
  onStarted?: (server: SiprecServer) => void;
}

/**
 * Creates the SIPREC recorder module; the default export is `createSiprecModule()`.
 *
 * @public
 */
export function createSiprecModule(options: SiprecModuleOptions = {}) {
  return createBackendModule({
    pluginId: 'voice-recording',
    moduleId: 'siprec',
    register(env) {
      env.registerInit({
        deps: {
          capture: voiceRecordingCaptureExtensionPoint,
          config: coreServices.rootConfig,
          logger: coreServices.logger,
        },
        async init({ capture, config, logger }) {
          const recorder = readRecorderConfig(config);
          if (!recorder.enabled) {
            logger.info('SIPREC recorder disabled (voiceRecording.recorder.enabled is false)');
            return;
          }
          capture.addCaptureSource(new SiprecCaptureSource(recorder, { onStarted: options.onStarted }));
        },
      });
    },
  });
}

/**
 * The SIPREC recorder (RFC 7866 Session Recording Server) as a capture source of
 * the voice-recording backend plugin. Configured under `voiceRecording.recorder`.
 *
 * @public
 */
export const voiceRecordingModuleSiprec = createSiprecModule();
