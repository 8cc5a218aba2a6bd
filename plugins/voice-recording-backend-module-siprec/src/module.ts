import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { metricsServiceRef } from '@backstage/backend-plugin-api/alpha';
import {
  LocalFileBlobStore,
  StagingBlobStore,
  StorageUnavailableError,
  createBlobStoreFromConfig,
  openRecordingBlobStore,
  openRecordingBlobStoreWhenReachable,
  readS3BlobStoreOptions,
  voiceRecordingCaptureExtensionPoint,
} from '@mvr/plugin-voice-recording-node';
import { readRecorderConfig } from './server/config';
import { RECORDER_HEALTH_PATH, recorderHealthRoute } from './server/healthRoute';
import { registerRecorderMetrics } from './server/recorderMetrics';
import { RecorderUploads, readRecorderUploadConfig } from './server/RecorderUploads';
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
          rootLifecycle: coreServices.rootLifecycle,
          httpRouter: coreServices.httpRouter,
          metrics: metricsServiceRef,
        },
        async init({ capture, config, logger, rootLifecycle, httpRouter, metrics }) {
          const recorder = readRecorderConfig(config);
          if (!recorder.enabled) {
            logger.info('SIPREC recorder disabled (voiceRecording.recorder.enabled is false)');
            return;
          }
          let source: SiprecCaptureSource | undefined = undefined;
          // with object storage (voiceRecording.storage.s3): archives staged in archiveDir, then uploaded
          const uploadConfig = readS3BlobStoreOptions(config) ? readRecorderUploadConfig(config) : undefined;
          let uploads: RecorderUploads | undefined;
          // metrics read the recorder's counters at scrape time (docs/operations.md, "Metrics")
          const instruments = registerRecorderMetrics(metrics, recorder, () => source?.current, () => uploads);
          source = new SiprecCaptureSource(recorder, {
            // the archive encrypted at rest with the portal's keys (voiceRecording.encryption);
            // journals stay plain local working files
            openArchiveStore: async () => {
              const local = new LocalFileBlobStore(recorder.storage.archiveDir, { minFreeBytes: recorder.storage.minFreeBytes });
              if (!uploadConfig) return openRecordingBlobStore(config, local, { logger, where: 'recorder archive' });
              const configured = createBlobStoreFromConfig(config);
              if (configured.kind !== 's3') throw new Error('voiceRecording.storage.s3: not read as S3 storage');
              try {
                await configured.store.verifyBucket();
              } catch (e) {
                // an outage does not stop the recorder (its uploads wait); a wrong bucket,
                // credentials or Object Lock setting does
                if (!(e instanceof StorageUnavailableError)) throw e;
                logger.warn(`recorder archive: ${configured.description} does not answer now (${e.message}); recording goes on, uploads wait`);
              }
              const staging: StagingBlobStore = new StagingBlobStore({
                local,
                remote: configured.store,
                onStaged: blob => uploads!.onStaged(blob),
              });
              uploads = new RecorderUploads(staging, {
                instanceId: recorder.instanceId,
                config: uploadConfig,
                logger,
                where: configured.store.location(),
              });
              logger.info(
                `recorder archive: staged in ${local.root}, uploaded to ${configured.description} ` +
                  `(${uploadConfig.concurrency} at a time, verified by a re-read, retried from ${uploadConfig.retryMinMs / 1000} s up to every ${uploadConfig.retryMaxMs / 1000} s)`,
              );
              // encryption wraps the staging store: the staged ciphertext is uploaded as is. An
              // object store down at start does not stop the recorder: the key check waits for it
              const opened = await openRecordingBlobStoreWhenReachable(config, staging, { logger, where: 'recorder archive' });
              return opened.store;
            },
            uploads: () => uploads,
            onStarted: server => {
              instruments.onServer(server);
              options.onStarted?.(server);
            },
          });
          capture.addCaptureSource(source);
          // Graceful drain on SIGTERM (docs/recorder.md, "Stopping: graceful drain"): Backstage
          // runs the root before-shutdown hooks first, with every plugin, the database and
          // the HTTP server still up, and only then the plugins' shutdown hooks (where the
          // plugin stops its capture sources: the calls left are ended with `shutdown`).
          // Backstage puts no time limit on either; the drain's own bound is
          // recorder.drain.timeoutSeconds. A second SIGTERM or SIGINT ends the drain at once.
          const draining = source;
          rootLifecycle.addBeforeShutdownHook(async () => {
            const again = new AbortController();
            const onSignal = () => again.abort();
            process.once('SIGTERM', onSignal);
            process.once('SIGINT', onSignal);
            try {
              await draining.drain({ timeoutMs: recorder.drain?.timeoutMs ?? 0, signal: again.signal, logger });
            } finally {
              process.off('SIGTERM', onSignal);
              process.off('SIGINT', onSignal);
            }
          });
          // for load balancers: no sign-in, no call data (this path only)
          httpRouter.addAuthPolicy({ path: RECORDER_HEALTH_PATH, allow: 'unauthenticated' });
          const health = source;
          httpRouter.use(
            recorderHealthRoute(
              () => health.health(),
              // with object storage: the staged recordings waiting for their upload (figures only)
              // how RTP is received (native batches or node:dgram) and how the journals are synced
              () => ({ rtpReceive: health.rtpReceive, journalSync: health.journalSync, ...(uploads ? { uploads: uploads.status() } : {}) }),
            ),
          );
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
