/** Annotations that the catalog module puts on recorded-number Resource entities. */
export const ANNOTATION_NUMBER_ID = 'voice-recording.mvr/number-id';
export const ANNOTATION_NUMBER = 'voice-recording.mvr/number';
/** `spec.type` of the Resource entities that represent recorded numbers. */
export const MOBILE_NUMBER_RESOURCE_TYPE = 'mobile-number';
