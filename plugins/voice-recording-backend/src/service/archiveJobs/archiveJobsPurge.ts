import {
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { ArchiveJobsStore } from '../../database/ArchiveJobsStore';

/** Done archive jobs are kept this long by default (for the queue's history), then deleted. */
export const DONE_ARCHIVE_JOBS_KEPT_DAYS = 7;

const KEEP_KEY = 'voiceRecording.archive.doneJobsKeepDays';

/** `voiceRecording.archive.doneJobsKeepDays`: whole days, 0 to 3650 (default 7). */
export function readDoneJobsKeepDays(config: RootConfigService): number {
  const days =
    config.getOptionalNumber(KEEP_KEY) ?? DONE_ARCHIVE_JOBS_KEPT_DAYS;
  if (!Number.isInteger(days) || days < 0 || days > 3650)
    throw new Error(
      `${KEEP_KEY}: must be whole days from 0 to 3650, not ${days}`,
    );
  return days;
}

/**
 * The archive work queue's admin side (docs/deployment.md "Archive work queue"): the
 * store the admin routes read, and the hourly deletion of done jobs older than
 * `voiceRecording.archive.doneJobsKeepDays`, by one instance at a time.
 */
export async function archiveJobsAdmin(deps: {
  knex: Knex;
  config: RootConfigService;
  scheduler: SchedulerService;
  logger: LoggerService;
}): Promise<ArchiveJobsStore> {
  const keepDays = readDoneJobsKeepDays(deps.config);
  const store = new ArchiveJobsStore(deps.knex);
  await deps.scheduler.scheduleTask({
    id: 'voice-recording-archive-jobs-purge',
    frequency: { hours: 1 },
    timeout: { minutes: 30 },
    initialDelay: { minutes: 3 },
    scope: 'global',
    fn: async () => {
      const purged = await store.purgeDone(
        new Date(Date.now() - keepDays * 86_400_000),
      );
      if (purged)
        deps.logger.info(
          `voice-recording archive queue: deleted ${purged} done jobs older than ${keepDays} days`,
        );
    },
  });
  return store;
}
