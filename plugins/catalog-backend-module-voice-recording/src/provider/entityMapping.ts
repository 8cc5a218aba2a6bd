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
/**
 * Annotation holding the number's recording health: `failed` or `warning` (the worst
 * severity of its unresolved recording alarms), `ok` (none). Absent when MVR is
 * inactive or when the alarms could not be read.
 */
export const ANNOTATION_VOICE_RECORDING_RECORDING_HEALTH =
  'voice-recording.mvr/recording-health';
/** Label telling whether Mobile Voice Recording is active for the number. */
export const LABEL_VOICE_RECORDING_MVR_ACTIVE = 'voice-recording.mvr/active';

/** The `spec.type` of the entities emitted for recorded numbers. */
export const RECORDED_NUMBER_RESOURCE_TYPE = 'mobile-number';

/**
 * Kind and apiVersion of recorded-number entities. Not a `backstage.io` Resource: the
 * catalog's built-in processor turns a Resource's `spec.owner` and `spec.system`
 * into `ownerOf` on the owner's User entity and `hasPart` on the System entity,
 * which everybody can read, so that anyone could see who is recorded. Entities of
 * this kind are validated by `RecordedNumberEntityProcessor`, which relates the
 * number to its owner and system on the number's side only.
 */
export const RECORDED_NUMBER_KIND = 'RecordedNumber';
/** See {@link RECORDED_NUMBER_KIND}. */
export const RECORDED_NUMBER_API_VERSION = 'voice-recording.mvr/v1alpha1';

export interface RecordedNumberEntityOptions {
  /** Base URL of the voice-recording API, used in the managed-by location annotations. */
  apiBaseUrl: string;
  /** Base URL of the frontend app, used for the link back to the number's page. */
  appBaseUrl: string;
  /** System the resources belong to (`spec.system`); omitted when undefined. */
  system?: string;
}

/** What may follow `mobile-` in an entity name (the catalog's name rules, 63 chars). */
const ENTITY_NAME_SUFFIX = /^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;
const MAX_ENTITY_NAME_LENGTH = 63;

/**
 * Catalog entity name of a recorded number: `mobile-` followed by the number's id in
 * the voice-recording backend (a UUID), e.g. `mobile-0b7d3c1e-...`. Not the number's
 * digits: a name is what anyone can ask the catalog for (by name, refresh, location),
 * so a name made of the digits would let a user probe whether a colleague's number is
 * recorded. The number itself is the entity's title, visible to those who may read it.
 */
export function recordedNumberEntityName(numberId: string): string {
  const name = `mobile-${numberId}`;
  if (
    !ENTITY_NAME_SUFFIX.test(numberId) ||
    name.length > MAX_ENTITY_NAME_LENGTH
  ) {
    throw new Error(
      `Cannot derive a catalog entity name from recorded number id ${JSON.stringify(
        numberId,
      )}: expected letters and digits separated by '-', '_' or '.', at most ${
        MAX_ENTITY_NAME_LENGTH - 'mobile-'.length
      } characters`,
    );
  }
  return name;
}

/**
 * Maps a recorded number of the voice-recording backend to a catalog entity of kind
 * {@link RECORDED_NUMBER_KIND}.
 */
export function recordedNumberToEntity(
  number: RecordedNumber,
  options: RecordedNumberEntityOptions,
  /** the worst severity of its unresolved alarms, `ok` for none; undefined: unknown */
  recordingHealth?: 'ok' | 'warning' | 'failed',
): Entity {
  const location = `voice-recording:${options.apiBaseUrl}`;
  const appBaseUrl = options.appBaseUrl.replace(/\/+$/, '');
  const tags = [number.mvrActive ? 'mvr-active' : 'mvr-inactive'];
  if (number.settings?.selfManaged) {
    tags.push('self-managed');
  }
  return {
    apiVersion: RECORDED_NUMBER_API_VERSION,
    kind: RECORDED_NUMBER_KIND,
    metadata: {
      name: recordedNumberEntityName(number.id),
      title: number.number,
      description: `Recorded mobile number ${
        number.number
      } (Mobile Voice Recording ${number.mvrActive ? 'active' : 'inactive'})`,
      annotations: {
        [ANNOTATION_LOCATION]: location,
        [ANNOTATION_ORIGIN_LOCATION]: location,
        [ANNOTATION_VOICE_RECORDING_NUMBER_ID]: number.id,
        [ANNOTATION_VOICE_RECORDING_NUMBER]: number.number,
        ...(recordingHealth && number.mvrActive
          ? { [ANNOTATION_VOICE_RECORDING_RECORDING_HEALTH]: recordingHealth }
          : {}),
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
