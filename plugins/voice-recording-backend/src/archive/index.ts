import { Config } from '@backstage/config';
import { ArchiveWork, ArchiveWorkOptions, defaultArchiveWorkerId } from './ArchiveWork';
import { readArchiveWorkConfig } from './archiveConfig';

export { ArchiveWork, defaultArchiveWorkerId, mp3DeriveHandler } from './ArchiveWork';
export type { ArchiveWorkOptions, ArchiveWorkStats } from './ArchiveWork';
export { readArchiveWorkConfig } from './archiveConfig';
export type { ArchiveWorkConfig } from './archiveConfig';

/**
 * This process's archive work as `voiceRecording.archive` configures it (undefined when
 * it takes no archive jobs). The worker is named after the recorder instance when one
 * runs here (`voiceRecording.recorder.instanceId`), else the host.
 */
export function archiveWorkFromConfig(
  rootConfig: Config,
  options: Omit<ArchiveWorkOptions, 'config' | 'workerId' | 'instanceIds'> & {
    captureSources: number;
  },
): ArchiveWork | undefined {
  const config = readArchiveWorkConfig(rootConfig, options);
  if (!config.enabled) {
    options.logger.info(
      'archive work: off in this process (voiceRecording.archive.enabled); compress jobs are taken elsewhere',
    );
    return undefined;
  }
  const instanceId = rootConfig.getOptionalString(
    'voiceRecording.recorder.instanceId',
  );
  const { captureSources: _sources, ...rest } = options;
  return new ArchiveWork({
    ...rest,
    config,
    workerId: defaultArchiveWorkerId(instanceId),
    ...(instanceId ? { instanceIds: [instanceId] } : {}),
  });
}
