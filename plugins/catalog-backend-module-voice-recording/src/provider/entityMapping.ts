import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import { RecordedNumber } from '@mvr/plugin-voice-recording-common';

/** Annotation holding the recorded number's id in the voice-recording backend. */
export const ANNOTATION_VOICE_RECORDING_NUMBER_ID =
  'voice-recording.mvr/number-id';
/** Annotation holding the recorded number in E.164. */
export const ANNOTATION_VOICE_RECORDING_NUMBER = 'voice-recording.mvr/number';
/** Label telling whether Mobile Voice Recording is active for the number. */
export const LABEL_VOICE_RECORDING_MVR_ACTIVE = 'voice-recording.mvr/active';

/** The `spec.type` of the Resource entities emitted for recorded numbers. */
export const RECORDED_NUMBER_RESOURCE_TYPE = 'mobile-number';

export interface RecordedNumberEntityOptions {
  /** Base URL of the voice-recording API, used in the managed-by location annotations. */
  apiBaseUrl: string;
  /** Base URL of the frontend app, used for the link back to the number's page. */
  appBaseUrl: string;
  /** System the resources belong to (`spec.system`); omitted when undefined. */
  system?: string;
}

/**
 * Catalog entity name of a recorded number: `mobile-` followed by the E.164 digits,
 * e.g. `+32470123456` -> `mobile-32470123456`.
 */
export function recordedNumberEntityName(e164: string): string {
  const digits = e164.replace(/[^0-9]/g, '');
  if (!digits) {
    throw new Error(
      `Cannot derive a catalog entity name from recorded number '${e164}': it has no digits`,
    );
  }
  return `mobile-${digits}`;
}

/** Maps a recorded number of the voice-recording backend to a catalog Resource entity. */
export function recordedNumberToEntity(
  number: RecordedNumber,
  options: RecordedNumberEntityOptions,
): Entity {
  const location = `voice-recording:${options.apiBaseUrl}`;
  const appBaseUrl = options.appBaseUrl.replace(/\/+$/, '');
  const tags = [number.mvrActive ? 'mvr-active' : 'mvr-inactive'];
  if (number.settings?.selfManaged) {
    tags.push('self-managed');
  }
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: recordedNumberEntityName(number.number),
      title: number.number,
      description: `Recorded mobile number ${
        number.number
      } (Mobile Voice Recording ${number.mvrActive ? 'active' : 'inactive'})`,
      annotations: {
        [ANNOTATION_LOCATION]: location,
        [ANNOTATION_ORIGIN_LOCATION]: location,
        [ANNOTATION_VOICE_RECORDING_NUMBER_ID]: number.id,
        [ANNOTATION_VOICE_RECORDING_NUMBER]: number.number,
      },
      labels: {
        [LABEL_VOICE_RECORDING_MVR_ACTIVE]: String(number.mvrActive),
      },
      tags,
      links: [
        {
          url: `${appBaseUrl}/voice-recording/numbers/${encodeURIComponent(
            number.id,
          )}`,
          title: 'Voice recording settings',
          icon: 'dashboard',
        },
      ],
    },
    spec: {
      type: RECORDED_NUMBER_RESOURCE_TYPE,
      owner: number.userRef,
      ...(options.system ? { system: options.system } : {}),
    },
  };
}
