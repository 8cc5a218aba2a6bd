import { ConfigReader } from '@backstage/config';
import { readAcceptedBreaks } from './auditTrailConfig';

const config = (acceptedBreaks?: unknown) =>
  new ConfigReader({
    voiceRecording:
      acceptedBreaks === undefined ? {} : { auditTrail: { acceptedBreaks } },
  });

describe('readAcceptedBreaks', () => {
  it('reads the accepted entry numbers (none by default)', () => {
    expect(readAcceptedBreaks(config())).toEqual(new Set());
    expect(readAcceptedBreaks(config([17, 4, 17]))).toEqual(new Set([4, 17]));
  });

  it('refuses anything else, naming the key', () => {
    for (const bad of [[1.5], ['17'], [-1], 17])
      expect(() => readAcceptedBreaks(config(bad))).toThrow(
        /voiceRecording\.auditTrail\.acceptedBreaks: must be a list of entry numbers/,
      );
  });
});
