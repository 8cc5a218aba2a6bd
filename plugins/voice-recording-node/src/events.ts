/** Events service topic on which the backend announces changes to recorded numbers. */
export const VOICE_RECORDING_NUMBERS_TOPIC = 'voice-recording.numbers';

export interface NumbersChangedEventPayload {
  action: 'upsert' | 'delete' | 'bulk';
  /** E.164 numbers concerned (empty for bulk: refresh everything). */
  numbers: string[];
}

/**
 * Events service topic on which the backend announces that recording alarms were raised,
 * resolved or acknowledged (the recorded numbers' recording health changed).
 */
export const VOICE_RECORDING_HEALTH_TOPIC = 'voice-recording.recording-health';

export interface RecordingHealthChangedEventPayload {
  /** ids of the recorded numbers whose unresolved alarms changed */
  numberIds: string[];
}
