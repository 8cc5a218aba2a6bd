import {
  CoverageDay,
  CoverageFigures,
  failureRefusals,
  NumberCoverage,
  RecordingAlarm,
  RecordingAttention,
} from '@mvr/plugin-voice-recording-common';
import { CoverageDayRow } from '../../database/CoverageStore';

const RANK: Record<RecordingAttention, number> = {
  ok: 0,
  warning: 1,
  failed: 2,
};

export const emptyFigures = (): CoverageFigures => ({
  expectedSeconds: 0,
  recordedCalls: 0,
  recordedSeconds: 0,
  refusedCalls: 0,
  refusedByReason: {},
  warningQualityCalls: 0,
  failedQualityCalls: 0,
});

/** Adds `b` into `a`. */
export function addFigures(a: CoverageFigures, b: CoverageFigures) {
  a.expectedSeconds += b.expectedSeconds;
  a.recordedCalls += b.recordedCalls;
  a.recordedSeconds += b.recordedSeconds;
  a.refusedCalls += b.refusedCalls;
  for (const [k, v] of Object.entries(b.refusedByReason))
    a.refusedByReason[k] = (a.refusedByReason[k] ?? 0) + v;
  a.warningQualityCalls += b.warningQualityCalls;
  a.failedQualityCalls += b.failedQualityCalls;
  if (
    b.lastRecordedCallAt &&
    (!a.lastRecordedCallAt ||
      Date.parse(b.lastRecordedCallAt) > Date.parse(a.lastRecordedCallAt))
  )
    a.lastRecordedCallAt = b.lastRecordedCallAt;
}

/**
 * Attention from the figures alone: failed when a call failed its quality check (or its
 * recording failed) or a call was refused for a failure (no capacity, storage, error...);
 * warning when a call had quality warnings, or when the number was expected to be
 * recorded and has no recorded call in the period.
 */
export function attentionOfFigures(f: CoverageFigures): RecordingAttention {
  if (f.failedQualityCalls > 0 || failureRefusals(f.refusedByReason) > 0)
    return 'failed';
  if (f.warningQualityCalls > 0) return 'warning';
  if (f.expectedSeconds > 0 && f.recordedCalls === 0) return 'warning';
  return 'ok';
}

/** The worst of the figures' attention and the unresolved alarms' severities. */
export function attentionOf(
  f: CoverageFigures,
  alarms: RecordingAlarm[],
): RecordingAttention {
  let a = attentionOfFigures(f);
  for (const alarm of alarms)
    if (alarm.state !== 'resolved' && RANK[alarm.severity] > RANK[a])
      a = alarm.severity;
  return a;
}

function alarmRank(alarms: RecordingAlarm[], state: 'open' | 'acknowledged') {
  return alarms
    .filter(a => a.state === state)
    .reduce((m, a) => Math.max(m, RANK[a.severity]), 0);
}

/**
 * The order of the numbers that need attention first: open alarms (the most severe
 * first), then acknowledged ones, then the attention of the figures, the failed calls
 * (quality and failure refusals), then the number silent longest (expected to be
 * recorded, last recorded call the oldest; never recorded first), then the number.
 */
export function sortByAttention(items: NumberCoverage[]): NumberCoverage[] {
  const silentSince = (n: NumberCoverage): number => {
    if (n.expectedSeconds <= 0) return Infinity;
    return n.lastRecordedCallAt ? Date.parse(n.lastRecordedCallAt) : -Infinity;
  };
  const keyed = items.map(n => {
    const open = n.openAlarms.filter(x => x.state === 'open');
    const acked = n.openAlarms.filter(x => x.state === 'acknowledged');
    return {
      n,
      open: open.length ? 1 + alarmRank(open, 'open') : 0,
      openCount: open.length,
      acked: acked.length ? 1 + alarmRank(acked, 'acknowledged') : 0,
      attention: RANK[n.attention],
      failed: n.failedQualityCalls + failureRefusals(n.refusedByReason),
      silentSince: silentSince(n),
    };
  });
  keyed.sort((a, b) => {
    const bySilence = Math.sign(a.silentSince - b.silentSince) || 0;
    return (
      b.open - a.open ||
      b.openCount - a.openCount ||
      b.acked - a.acked ||
      b.attention - a.attention ||
      b.failed - a.failed ||
      (a.silentSince === b.silentSince ? 0 : bySilence) ||
      a.n.number.localeCompare(b.n.number)
    );
  });
  return keyed.map(k => k.n);
}

/** A stored row as the API's day. */
export function dayOf(r: CoverageDayRow): CoverageDay {
  return {
    day: r.day,
    expectedSeconds: r.expectedSeconds,
    recordedCalls: r.recordedCalls,
    recordedSeconds: r.recordedSeconds,
    refusedCalls: r.refusedCalls,
    refusedByReason: r.refusedByReason,
    warningQualityCalls: r.warningQualityCalls,
    failedQualityCalls: r.failedQualityCalls,
    ...(r.lastRecordedCallAt
      ? { lastRecordedCallAt: r.lastRecordedCallAt }
      : {}),
  };
}
