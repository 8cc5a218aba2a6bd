import { Entity } from '@backstage/catalog-model';
import { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { RecordedNumberEntityProcessor } from './RecordedNumberEntityProcessor';

const entity = (spec: unknown, overrides: Partial<Entity> = {}): Entity => ({
  apiVersion: 'voice-recording.mvr/v1alpha1',
  kind: 'RecordedNumber',
  metadata: { name: 'mobile-n1', namespace: 'default', title: '+32470123456' },
  spec: spec as Entity['spec'],
  ...overrides,
});

const location = { type: 'voice-recording', target: 'http://x' };

async function relationsOf(e: Entity) {
  const emitted: CatalogProcessorResult[] = [];
  const processor = new RecordedNumberEntityProcessor();
  await processor.postProcessEntity(e, location, r => void emitted.push(r));
  return emitted;
}

describe('RecordedNumberEntityProcessor', () => {
  const processor = new RecordedNumberEntityProcessor();

  it('relates the number to its owner and system on its own side only (no ownerOf, no hasPart)', async () => {
    const emitted = await relationsOf(
      entity({
        type: 'mobile-number',
        owner: 'User:default/Bob',
        system: 'mobile-voice-recording',
      }),
    );
    const self = {
      kind: 'RecordedNumber',
      namespace: 'default',
      name: 'mobile-n1',
    };
    expect(emitted).toEqual([
      {
        type: 'relation',
        relation: {
          source: self,
          type: 'ownedBy',
          target: { kind: 'user', namespace: 'default', name: 'bob' },
        },
      },
      {
        type: 'relation',
        relation: {
          source: self,
          type: 'partOf',
          target: {
            kind: 'system',
            namespace: 'default',
            name: 'mobile-voice-recording',
          },
        },
      },
    ]);
  });

  it('reads a bare owner name as a User and emits no partOf without a system', async () => {
    const emitted = await relationsOf(
      entity({ type: 'mobile-number', owner: 'carol' }),
    );
    expect(emitted).toEqual([
      expect.objectContaining({
        relation: expect.objectContaining({
          type: 'ownedBy',
          target: { kind: 'user', namespace: 'default', name: 'carol' },
        }),
      }),
    ]);
  });

  it('leaves other entities alone, Resources included', async () => {
    const resource = entity(
      { type: 'mobile-number', owner: 'user:default/bob' },
      { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource' },
    );
    await expect(processor.validateEntityKind(resource)).resolves.toBe(false);
    expect(await relationsOf(resource)).toEqual([]);
    const sameKindOtherApi = entity(
      { type: 'mobile-number', owner: 'user:default/bob' },
      { apiVersion: 'backstage.io/v1alpha1' },
    );
    await expect(processor.validateEntityKind(sameKindOtherApi)).resolves.toBe(
      false,
    );
  });

  it('accepts a valid recorded number', async () => {
    await expect(
      processor.validateEntityKind(
        entity({ type: 'mobile-number', owner: 'user:default/bob' }),
      ),
    ).resolves.toBe(true);
  });

  it.each([
    [
      undefined,
      /RecordedNumber entity 'default\/mobile-n1' has no spec object/,
    ],
    [
      { owner: 'user:default/bob' },
      /spec.type must be 'mobile-number', got undefined/,
    ],
    [
      { type: 'mobile-number' },
      /spec.owner must be the entity ref of the number's user, got undefined/,
    ],
    [
      { type: 'mobile-number', owner: '  ' },
      /spec.owner must be .* got " {2}"/,
    ],
    [
      { type: 'mobile-number', owner: 'user:default/' },
      /spec.owner "user:default\/" is not an entity ref/,
    ],
    [
      { type: 'mobile-number', owner: 'user:default/bob', system: 7 },
      /spec.system must be a System entity ref when given, got 7/,
    ],
  ])(
    'refuses spec %j with a message naming the entity and the field',
    async (spec, message) => {
      await expect(processor.validateEntityKind(entity(spec))).rejects.toThrow(
        message,
      );
    },
  );
});
