import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  resourceEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { RecordedNumberEntityProcessor } from '../processor/RecordedNumberEntityProcessor';
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
    id: '0b7d3c1e-5f7a-4c1e-9f0e-2a6b8d4c1e3f',
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
  it("is made of the number's id, not of its digits", () => {
    expect(
      recordedNumberEntityName('0b7d3c1e-5f7a-4c1e-9f0e-2a6b8d4c1e3f'),
    ).toBe('mobile-0b7d3c1e-5f7a-4c1e-9f0e-2a6b8d4c1e3f');
  });

  it('refuses an id that cannot be part of an entity name, naming it', () => {
    expect(() => recordedNumberEntityName('a/b')).toThrow(
      /recorded number id "a\/b"/,
    );
    expect(() => recordedNumberEntityName('')).toThrow(/id ""/);
    expect(() => recordedNumberEntityName('x'.repeat(57))).toThrow(
      /at most 56 characters/,
    );
  });
});

describe('recordedNumberToEntity', () => {
  it('maps a recorded number to a valid RecordedNumber entity owned by its user', async () => {
    const entity = recordedNumberToEntity(makeNumber(), options);

    expect(entity).toMatchObject({
      apiVersion: 'voice-recording.mvr/v1alpha1',
      kind: 'RecordedNumber',
      metadata: {
        name: 'mobile-0b7d3c1e-5f7a-4c1e-9f0e-2a6b8d4c1e3f',
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
      [ANNOTATION_VOICE_RECORDING_NUMBER_ID]:
        '0b7d3c1e-5f7a-4c1e-9f0e-2a6b8d4c1e3f',
      [ANNOTATION_VOICE_RECORDING_NUMBER]: '+32470123456',
    });
    expect(entity.metadata.links).toEqual([
      expect.objectContaining({
        url: 'http://localhost:7007/voice-recording/numbers/0b7d3c1e-5f7a-4c1e-9f0e-2a6b8d4c1e3f',
      }),
    ]);
    // the catalog's module processor accepts it; the built-in Resource kind does not
    await expect(
      new RecordedNumberEntityProcessor().validateEntityKind(entity),
    ).resolves.toBe(true);
    await expect(resourceEntityV1alpha1Validator.check(entity)).resolves.toBe(
      false,
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

  it('omits spec.system when none is configured', () => {
    const entity = recordedNumberToEntity(makeNumber(), {
      ...options,
      system: undefined,
    });
    expect(entity.spec).not.toHaveProperty('system');
  });
});
