import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { ArchiveJobsStore } from '../../database/ArchiveJobsStore';

/** Done archive jobs are kept this long (for the queue's history), then deleted. */
export const DONE_ARCHIVE_JOBS_KEPT_DAYS = 7;

/**
 * The archive work queue's admin side (docs/deployment.md "Archive work queue"): the
 * store the admin routes read, and the hourly deletion of done jobs older than
 * {@link DONE_ARCHIVE_JOBS_KEPT_DAYS} days, by one instance at a time.
 */
export async function archiveJobsAdmin(deps: {
  knex: Knex;
  scheduler: SchedulerService;
  logger: LoggerService;
}): Promise<ArchiveJobsStore> {
  const store = new ArchiveJobsStore(deps.knex);
  await deps.scheduler.scheduleTask({
    id: 'voice-recording-archive-jobs-purge',
    frequency: { hours: 1 },
    timeout: { minutes: 15 },
    initialDelay: { minutes: 3 },
    scope: 'global',
    fn: async () => {
      const purged = await store.purgeDone(
        new Date(Date.now() - DONE_ARCHIVE_JOBS_KEPT_DAYS * 86_400_000),
      );
      if (purged)
        deps.logger.info(
          `voice-recording archive queue: deleted ${purged} done jobs older than ${DONE_ARCHIVE_JOBS_KEPT_DAYS} days`,
        );
    },
  });
  return store;
}
