import type { LoggerService } from '@backstage/backend-plugin-api';
import { DEFAULT_JOURNAL_FLUSH_MS } from '../capture/CallJournal';
import { JournalSyncGroup } from '../capture/JournalSyncGroup';
import { MvrRtpAddon, mvrRtpAddon, nativeRtpLoadError } from '../media/nativeRtp';
import type { RecorderConfig } from './config';

/**
 * The recorder's journal group commit (`storage.journalSync: filesystem`, the default),
 * or undefined: `file`, or the native addon (syncfs) not loadable here, when each journal
 * is opened with O_DSYNC as before (said once in the log).
 */
export function journalSyncGroupFor(
  config: RecorderConfig,
  logger: LoggerService,
  /** the native addon and why it did not load (tests) */
  native: { addon(): MvrRtpAddon | null; loadError(): string | undefined } = { addon: mvrRtpAddon, loadError: nativeRtpLoadError },
): JournalSyncGroup | undefined {
  if (config.storage.journalSync !== 'filesystem') return undefined;
  const addon = native.addon();
  const syncfs = addon?.syncfs;
  if (!syncfs) {
    logger.info(
      `SIPREC recorder: call journals are written with O_DSYNC, one durable write per call and second (storage.journalSync filesystem needs the native addon: ${
        addon ? 'this build has no syncfs, rebuild it with scripts/build-native-rtp.sh' : native.loadError()
      })`,
    );
    return undefined;
  }
  return new JournalSyncGroup({ dir: config.storage.journalDir, flushIntervalMs: DEFAULT_JOURNAL_FLUSH_MS, syncfs: fd => syncfs.call(addon, fd) });
}
