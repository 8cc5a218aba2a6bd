import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** The demo's silent number: alice's (examples/voice-recording.yaml, Extended schedule). */
export const DEMO_SILENT_NUMBER = '+32472345678';
/** How long before the demo's start the silent number was added. */
const SILENT_SINCE_DAYS = 30;

/**
 * The demo's silent number: a number in professional mode (by its schedule) that has
 * never had a recorded call since it was added 30 days ago, so that the alarm evaluation
 * at startup raises a silent-number alarm whatever the day and hour (the Recording health
 * page shows it first). Only for a number added in the last day without any call (a
 * freshly loaded demo); never fails the plugin's start.
 */
export async function loadDemoSilentNumber(options: {
  knex: Knex;
  logger: LoggerService;
  now?: Date;
}): Promise<boolean> {
  const { knex, logger } = options;
  const now = options.now ?? new Date();
  try {
    const n = await knex('vr_numbers')
      .where({ number: DEMO_SILENT_NUMBER, mvr_active: true })
      .first('id', 'created_at');
    if (!n) return false;
    const called = await knex('vr_conversations')
      .where({ recorded_number_id: n.id })
      .first('id');
    if (called) return false;
    const dayAgo = new Date(now.getTime() - 24 * 3_600_000);
    const updated = await knex('vr_numbers')
      .where({ id: n.id })
      .where('created_at', '>', dayAgo)
      .update({
        created_at: new Date(
          now.getTime() - SILENT_SINCE_DAYS * 24 * 3_600_000,
        ),
      });
    if (updated)
      logger.info(
        `voice-recording demo: ${DEMO_SILENT_NUMBER} was added ${SILENT_SINCE_DAYS} days ago and has no recorded call (a silent number)`,
      );
    return updated > 0;
  } catch (e) {
    logger.warn(
      `voice-recording demo: could not prepare the silent number: ${
        (e as Error).message
      }`,
    );
    return false;
  }
}
