import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  resourceEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { RecordedNumber } from '@mvr/plugin-voice-recording-common';
import {
  ANNOTATION_VOICE_RECORDING_NUMBER,
  ANNOTATION_VOICE_RECORDING_NUMBER_ID,
  LABEL_VOICE_RECORDING_MVR_ACTIVE,
  recordedNumberEntityName,
  recordedNumberToEntity,
} from './entityMapping';

function makeNumber(overrides: Partial<RecordedNumber> = {}): RecordedNumber {
  return {
    id: 'n-1',
    number: '+32470123456',
    userRef: 'user:default/bob',
    mvrActive: true,
    fmu: false,
    settings: {
      beep: false,
      smsOnStatusChange: false,
      statusMode: 'auto',
      activeStatus: 'professional',
      selfManaged: false,
      simultaneousCalls: true,
      timeZone: 'Europe/Brussels',
    },
    slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

const options = {
  apiBaseUrl: 'http://localhost:7007/api/voice-recording',
  appBaseUrl: 'http://localhost:7007/',
  system: 'mobile-voice-recording',
};

describe('recordedNumberEntityName', () => {
  it('keeps only the digits of the E.164 number', () => {
    expect(recordedNumberEntityName('+32470123456')).toBe('mobile-32470123456');
    expect(recordedNumberEntityName('+44 7700 900123')).toBe(
      'mobile-447700900123',
    );
  });

  it('refuses a number without digits', () => {
    expect(() => recordedNumberEntityName('+')).toThrow(/no digits/);
  });
});

describe('recordedNumberToEntity', () => {
  it('maps a recorded number to a valid Resource owned by its user', async () => {
    const entity = recordedNumberToEntity(makeNumber(), options);

    expect(entity).toMatchObject({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'mobile-32470123456',
        title: '+32470123456',
        tags: ['mvr-active'],
        labels: { [LABEL_VOICE_RECORDING_MVR_ACTIVE]: 'true' },
      },
      spec: {
        type: 'mobile-number',
        owner: 'user:default/bob',
        system: 'mobile-voice-recording',
      },
    });
    expect(entity.metadata.annotations).toEqual({
      [ANNOTATION_LOCATION]:
        'voice-recording:http://localhost:7007/api/voice-recording',
      [ANNOTATION_ORIGIN_LOCATION]:
        'voice-recording:http://localhost:7007/api/voice-recording',
      [ANNOTATION_VOICE_RECORDING_NUMBER_ID]: 'n-1',
      [ANNOTATION_VOICE_RECORDING_NUMBER]: '+32470123456',
    });
    expect(entity.metadata.links).toEqual([
      expect.objectContaining({
        url: 'http://localhost:7007/voice-recording/numbers/n-1',
      }),
    ]);
    await expect(resourceEntityV1alpha1Validator.check(entity)).resolves.toBe(
      true,
    );
  });

  it('marks inactive and self-managed numbers in labels and tags', () => {
    const entity = recordedNumberToEntity(
      makeNumber({
        mvrActive: false,
        settings: { ...makeNumber().settings, selfManaged: true },
      }),
      options,
    );
    expect(entity.metadata.labels).toEqual({
      [LABEL_VOICE_RECORDING_MVR_ACTIVE]: 'false',
    });
    expect(entity.metadata.tags).toEqual(['mvr-inactive', 'self-managed']);
  });

  it('omits spec.system when none is configured and escapes the id in the link', () => {
    const entity = recordedNumberToEntity(makeNumber({ id: 'a/b' }), {
      ...options,
      system: undefined,
    });
    expect(entity.spec).not.toHaveProperty('system');
    expect(entity.metadata.links?.[0].url).toBe(
      'http://localhost:7007/voice-recording/numbers/a%2Fb',
    );
  });
});
