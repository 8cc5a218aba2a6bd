/** Annotations that the catalog module puts on recorded-number entities. */
export const ANNOTATION_NUMBER_ID = 'voice-recording.mvr/number-id';
export const ANNOTATION_NUMBER = 'voice-recording.mvr/number';
/**
 * Kind of the catalog entities that represent recorded numbers (not Resource: the
 * catalog would show a Resource on its owner's User page to everybody).
 */
export const RECORDED_NUMBER_KIND = 'RecordedNumber';
/** `spec.type` of the catalog entities that represent recorded numbers. */
export const MOBILE_NUMBER_RESOURCE_TYPE = 'mobile-number';
/**
 * The number's recording health that the catalog module writes: `failed` or `warning`
 * (the worst severity of its unresolved recording alarms), `ok` (none); absent when MVR
 * is inactive or the alarms could not be read.
 */
export const ANNOTATION_RECORDING_HEALTH =
  'voice-recording.mvr/recording-health';
