/** Events service topic on which the backend announces changes to recorded numbers. */
export const VOICE_RECORDING_NUMBERS_TOPIC = 'voice-recording.numbers';

export interface NumbersChangedEventPayload {
  action: 'upsert' | 'delete' | 'bulk';
  /** E.164 numbers concerned (empty for bulk: refresh everything). */
  numbers: string[];
}
