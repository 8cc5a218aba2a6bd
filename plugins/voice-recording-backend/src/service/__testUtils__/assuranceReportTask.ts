import { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import { KnexAuditLogStore } from '../../database';
import { CoverageStore } from '../../database/CoverageStore';
import { AssuranceReportNotifier } from '../../notifiers/AssuranceReportNotifier';
import { AuditRecorder } from '../AuditRecorder';
import { AssuranceReportTask } from '../health/AssuranceReportTask';
import { OwnerGroups } from '../health/OwnerGroups';
import { RecordingHealthService } from '../health/RecordingHealthService';

/**
 * The daily assurance report announcement over `coverage`: Brussels, from 06:00, to the
 * compliance group through `notifications`, audited in the database; no owner groups,
 * the report's clock at `now`.
 */
export function assuranceReportTask(options: {
  knex: Knex;
  coverage: CoverageStore;
  notifications: NotificationService;
  logger: LoggerService;
  now: Date;
}): AssuranceReportTask {
  const { knex, coverage, logger } = options;
  const audit = new AuditRecorder(
    mockServices.auditor.mock(),
    new KnexAuditLogStore(knex),
    logger,
  );
  return new AssuranceReportTask({
    health: new RecordingHealthService({
      coverage,
      ownerGroups: new OwnerGroups({ getEntities: async () => ({ items: [] }) }),
      groupMembers: async () => [],
      timeZone: 'Europe/Brussels',
      now: () => options.now,
    }),
    coverage,
    notifier: new AssuranceReportNotifier(
      options.notifications,
      ['group:default/compliance'],
      logger,
      audit,
    ),
    notifyAt: '06:00',
  });
}
