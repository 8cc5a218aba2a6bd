import { CapturePolicy, CaptureRecordedNumber } from '@mvr/plugin-voice-recording-node';

/**
 * Decision reasons that stop a call being recorded when they come up during the call:
 * the number was switched to private mode, its recording was deactivated, it is no
 * longer a recorded number, or an emergency number is on the call. `outside-schedule`
 * does not: a schedule decides at set-up (a call that started in professional hours is
 * recorded to its end, whether its slot ends or is edited meanwhile).
 */
export const STOPPING_REASONS: ReadonlySet<string> = new Set([
  'manual-private',
  'mvr-inactive',
  'unknown-number',
  'emergency-number',
]);

export interface RecordingStopDecision {
  reason: string;
  message: string;
}

/**
 * Decides again, for a call in progress, whether its number may still be recorded (after
 * a change of the number announced by the plugin). Returns why to stop, or undefined to
 * go on. Throws what the policy throws (CaptureStoreError while the database is down).
 */
export async function recheckRecording(
  policy: CapturePolicy,
  call: { recordedNumber: CaptureRecordedNumber; participants: string[] },
  at: Date,
): Promise<RecordingStopDecision | undefined> {
  const number = call.recordedNumber;
  const result = await policy.lookupAndDecide({
    participants: call.participants,
    at,
    hints: { recordedParty: number.number },
  });
  if (result.recordedNumber?.id !== number.id) {
    return { reason: 'unknown-number', message: `${number.number} is no longer a recorded number` };
  }
  const { decision } = result;
  if (decision.record || !STOPPING_REASONS.has(decision.reason)) return undefined;
  return { reason: decision.reason, message: decision.message };
}
