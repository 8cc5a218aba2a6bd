import { mockServices } from '@backstage/backend-test-utils';
import { readDoneJobsKeepDays } from './archiveJobsPurge';

const config = (archive?: object) =>
  mockServices.rootConfig({
    data: archive ? { voiceRecording: { archive } } : {},
  });

describe('voiceRecording.archive.doneJobsKeepDays', () => {
  it('is 7 days unless set; 0 deletes done jobs at the next purge', () => {
    expect(readDoneJobsKeepDays(config())).toBe(7);
    expect(readDoneJobsKeepDays(config({ doneJobsKeepDays: 0 }))).toBe(0);
    expect(readDoneJobsKeepDays(config({ doneJobsKeepDays: 30 }))).toBe(30);
  });

  it('refuses what is not whole days from 0 to 3650, naming the key', () => {
    for (const bad of [-1, 1.5, 3651])
      expect(() =>
        readDoneJobsKeepDays(config({ doneJobsKeepDays: bad })),
      ).toThrow(
        `voiceRecording.archive.doneJobsKeepDays: must be whole days from 0 to 3650, not ${bad}`,
      );
  });
});
