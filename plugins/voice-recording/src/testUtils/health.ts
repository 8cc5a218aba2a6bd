import type {
  CoverageFigures,
  NumberCoverage,
  RecordingAlarm,
  RecordingHealthSummary,
} from '@mvr/plugin-voice-recording-common';

/** Test data of the Recording health page (the API contract's shapes). */
export function figures(
  overrides: Partial<CoverageFigures> = {},
): CoverageFigures {
  return {
    expectedSeconds: 7 * 10 * 3600,
    recordedCalls: 42,
    recordedSeconds: 5 * 3600,
    refusedCalls: 0,
    refusedByReason: {},
    warningQualityCalls: 0,
    failedQualityCalls: 0,
    lastRecordedCallAt: '2026-12-05T16:02:00.000Z',
    ...overrides,
  };
}

export const SILENT_SUMMARY =
  'No recorded call for 27 expected-recording hours (threshold 24)';

export function alarm(overrides: Partial<RecordingAlarm> = {}): RecordingAlarm {
  return {
    id: 'a1',
    kind: 'silent-number',
    state: 'open',
    severity: 'failed',
    numberId: 'n-silent',
    number: '+32470999999',
    ownerRef: 'user:default/carol',
    summary: SILENT_SUMMARY,
    figures: { hours: 27, threshold: 24 },
    raisedAt: '2026-12-03T09:00:00.000Z',
    lastRaisedAt: '2026-12-05T09:00:00.000Z',
    ...overrides,
  };
}

export function coverage(
  overrides: Partial<NumberCoverage> = {},
): NumberCoverage {
  return {
    ...figures(),
    numberId: 'n1',
    number: '+32470123456',
    ownerRef: 'user:default/bob',
    groupRefs: ['group:default/trading'],
    active: true,
    attention: 'ok',
    openAlarms: [],
    ...overrides,
  };
}

export const silentNumber = coverage({
  numberId: 'n-silent',
  number: '+32470999999',
  ownerRef: 'user:default/carol',
  attention: 'failed',
  recordedCalls: 0,
  recordedSeconds: 0,
  lastRecordedCallAt: '2026-11-20T10:00:00.000Z',
  openAlarms: [alarm()],
});

export function summary(
  overrides: Partial<RecordingHealthSummary> = {},
): RecordingHealthSummary {
  return {
    from: '2026-11-29',
    to: '2026-12-05',
    overall: {
      ...figures({
        recordedCalls: 120,
        refusedCalls: 3,
        refusedByReason: { 'no-capacity': 2, private: 1 },
        failedQualityCalls: 4,
        warningQualityCalls: 9,
      }),
      numbers: 12,
      numbersNeedingAttention: 2,
      openAlarms: 3,
    },
    groups: [
      {
        ...figures({ refusedCalls: 2, refusedByReason: { 'no-capacity': 2 } }),
        groupRef: 'group:default/trading',
        numbers: 8,
        numbersNeedingAttention: 1,
      },
      {
        ...figures(),
        groupRef: 'group:default/sales',
        numbers: 4,
        numbersNeedingAttention: 1,
      },
    ],
    ...overrides,
  };
}
