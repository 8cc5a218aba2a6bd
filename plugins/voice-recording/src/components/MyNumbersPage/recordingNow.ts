import {
  RecordedNumberWithStatus,
  decideRecording,
} from '@mvr/plugin-voice-recording-common';

/** Whether a number is being recorded now and why, by the shared rule (server status wins). */
export function recordingNow(
  number: RecordedNumberWithStatus,
  at: Date = new Date(),
): { recording: boolean; why: string } {
  const recording = number.status === 'recording';
  if (number.fmu && !recording)
    return { recording, why: 'an FMU number cannot be recorded' };
  try {
    const decision = decideRecording({ number, at });
    if (decision.record === recording)
      return { recording, why: decision.message };
  } catch {
    // invalid time zone: fall back to the status below
  }
  const fallback: Record<RecordedNumberWithStatus['status'], string> = {
    recording: 'professional mode: calls are recorded',
    private: 'private mode: calls are not recorded',
    'outside-schedule': 'outside the recording schedule',
    inactive: `MVR is not active for ${number.number}`,
  };
  return { recording, why: fallback[number.status] };
}
