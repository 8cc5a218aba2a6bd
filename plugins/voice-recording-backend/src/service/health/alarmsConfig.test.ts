import { ConfigReader } from '@backstage/config';
import { readRecordingAlarmsConfig } from './alarmsConfig';

const read = (alarms: object) =>
  readRecordingAlarmsConfig(
    new ConfigReader({ voiceRecording: { recordingHealth: { alarms } } }),
  );

describe('readRecordingAlarmsConfig', () => {
  it('has the documented defaults', () => {
    expect(readRecordingAlarmsConfig(new ConfigReader({}))).toEqual({
      enabled: true,
      evaluationMinutes: 5,
      reRaiseHours: 24,
      silentNumber: { expectedHours: 24 },
      refusals: {
        windowHours: 24,
        minRefused: 5,
        share: 0.2,
        ignoredReasons: [
          'mvr-inactive',
          'manual-private',
          'outside-schedule',
          'emergency-number',
          'simultaneous-calls',
          'unknown-number',
        ],
      },
      failedQuality: {
        windowHours: 24,
        consecutive: 3,
        share: 0.5,
        minCalls: 4,
      },
      idleRecorder: { idleMinutes: 30, minPeerCalls: 10 },
    });
  });

  it('reads the keys and names the one out of range', () => {
    expect(
      read({
        silentNumber: { expectedHours: 30.5 },
        refusals: { ignoredReasons: [] },
      }),
    ).toMatchObject({
      silentNumber: { expectedHours: 30.5 },
      refusals: { ignoredReasons: [] },
    });
    expect(() => read({ refusals: { share: 2 } })).toThrow(
      'voiceRecording.recordingHealth.alarms.refusals.share: 2 is not a number from 0.01 to 1',
    );
    expect(() => read({ evaluationMinutes: 0 })).toThrow(
      'voiceRecording.recordingHealth.alarms.evaluationMinutes: 0 is not a whole number from 1 to 1440',
    );
    expect(() => read({ failedQuality: { consecutive: 2.5 } })).toThrow(
      /failedQuality\.consecutive: 2\.5 is not a whole number/,
    );
  });
});
