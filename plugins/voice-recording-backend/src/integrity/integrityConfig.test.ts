import { ConfigReader } from '@backstage/config';
import { readIntegritySweepConfig } from './integrityConfig';

const read = (sweep?: object) =>
  readIntegritySweepConfig(
    new ConfigReader(sweep ? { voiceRecording: { integrity: { sweep } } } : {}),
  );

describe('readIntegritySweepConfig', () => {
  it('defaults: on, 5 % of the archive every 24 hours', () => {
    expect(read()).toEqual({
      enabled: true,
      share: 0.05,
      frequency: { hours: 24 },
      frequencyText: 'every 24 hours',
    });
  });

  it('reads a duration or a cron expression', () => {
    expect(
      read({ share: 0.5, frequency: { hours: 12, minutes: 30 } }),
    ).toMatchObject({
      share: 0.5,
      frequency: { hours: 12, minutes: 30 },
      frequencyText: 'every 12 hours 30 minutes',
    });
    expect(read({ frequency: '0 2 * * *', enabled: false })).toMatchObject({
      enabled: false,
      frequency: { cron: '0 2 * * *' },
      frequencyText: 'cron 0 2 * * *',
    });
  });

  it('refuses a share out of (0, 1] and a bad frequency, naming the key', () => {
    expect(() => read({ share: 0 })).toThrow(
      'voiceRecording.integrity.sweep.share: 0 is not a share of the archive in (0, 1], e.g. 0.05',
    );
    expect(() => read({ share: 2 })).toThrow(/sweep\.share: 2 is not/);
    expect(() => read({ frequency: 'nightly' })).toThrow(
      /voiceRecording\.integrity\.sweep\.frequency: "nightly" is not a cron expression/,
    );
    expect(() => read({ frequency: { fortnights: 1 } })).toThrow(
      /voiceRecording\.integrity\.sweep\.frequency: /,
    );
  });
});
