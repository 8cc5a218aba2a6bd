import { mockServices } from '@backstage/backend-test-utils';
import { JournalSyncGroup } from '../capture/JournalSyncGroup';
import type { MvrRtpAddon } from '../media/nativeRtp';
import { readRecorderConfig } from './config';
import { journalSyncGroupFor } from './journalSync';

const recorderConfig = (journalSync?: string) =>
  readRecorderConfig(
    mockServices.rootConfig({
      data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', storage: { journalDir: '/tmp/mvr-journal-sync-test', ...(journalSync ? { journalSync } : {}) } } } },
    }),
  );

describe('journalSyncGroupFor', () => {
  it('gives the group commit by default, on the addon built here', async () => {
    const logger = mockServices.logger.mock();
    const group = journalSyncGroupFor(recorderConfig(), logger);
    expect(group).toBeInstanceOf(JournalSyncGroup);
    await group!.close();
    expect(logger.info).not.toHaveBeenCalled();
  });

  it('gives none with journalSync file (each journal O_DSYNC), without a log line', () => {
    const logger = mockServices.logger.mock();
    expect(journalSyncGroupFor(recorderConfig('file'), logger)).toBeUndefined();
    expect(logger.info).not.toHaveBeenCalled();
  });

  it('falls back to O_DSYNC per journal, saying why, where the addon does not load or has no syncfs', () => {
    const logger = mockServices.logger.mock();
    const missing = { addon: () => null, loadError: () => 'mvr_rtp.node does not load (test)' };
    expect(journalSyncGroupFor(recorderConfig(), logger, missing)).toBeUndefined();
    expect(logger.info).toHaveBeenCalledWith(expect.stringMatching(/journals are written with O_DSYNC.*mvr_rtp\.node does not load \(test\)/));
    // a build from before syncfs (the RTP receiver only)
    const older = { addon: () => ({}) as MvrRtpAddon, loadError: () => undefined };
    expect(journalSyncGroupFor(recorderConfig(), logger, older)).toBeUndefined();
    expect(logger.info).toHaveBeenLastCalledWith(expect.stringMatching(/this build has no syncfs, rebuild it with scripts\/build-native-rtp\.sh/));
  });
});
