import {
  CompoundEntityRef,
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  RECORDED_NUMBER_API_VERSION,
  RECORDED_NUMBER_KIND,
  RECORDED_NUMBER_RESOURCE_TYPE,
} from '../provider/entityMapping';

/** Whether the entity is a recorded number of this module's kind and apiVersion. */
export function isRecordedNumberEntity(entity: Entity): boolean {
  return (
    entity.apiVersion === RECORDED_NUMBER_API_VERSION &&
    entity.kind === RECORDED_NUMBER_KIND
  );
}

interface RecordedNumberSpec {
  type: string;
  owner: string;
  system?: string;
}

/**
 * Validates `RecordedNumber` entities and relates each to its owner (`ownedBy`) and
 * system (`partOf`) on the number's side only.
 *
 * The reverse relations (`ownerOf`, `hasPart`) are deliberately not emitted: the
 * catalog stitches them into the User and System entities, which every signed-in
 * user can read, while the number entity itself is hidden by the permission policy
 * from everybody but its owner and the admins. The number's own `relations.ownedBy`
 * is what the policy's `IS_ENTITY_OWNER` condition and the catalog's "Owned" filter
 * match.
 */
export class RecordedNumberEntityProcessor implements CatalogProcessor {
  getProcessorName(): string {
    return 'RecordedNumberEntityProcessor';
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    if (!isRecordedNumberEntity(entity)) {
      return false;
    }
    readSpec(entity);
    return true;
  }

  async postProcessEntity(
    entity: Entity,
    _location: unknown,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!isRecordedNumberEntity(entity)) {
      return entity;
    }
    const spec = readSpec(entity);
    const self = getCompoundEntityRef(entity);
    const relate = (type: string, target: CompoundEntityRef) =>
      emit(processingResult.relation({ source: self, type, target }));
    relate(
      RELATION_OWNED_BY,
      targetRef(spec.owner, 'User', self.namespace, entity, 'spec.owner'),
    );
    if (spec.system !== undefined) {
      relate(
        RELATION_PART_OF,
        targetRef(spec.system, 'System', self.namespace, entity, 'spec.system'),
      );
    }
    return entity;
  }
}

function entityLabel(entity: Entity): string {
  return `${RECORDED_NUMBER_KIND} entity '${
    entity.metadata?.namespace ?? 'default'
  }/${entity.metadata?.name}'`;
}

function readSpec(entity: Entity): RecordedNumberSpec {
  const spec = entity.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new InputError(`${entityLabel(entity)} has no spec object`);
  }
  if (spec.type !== RECORDED_NUMBER_RESOURCE_TYPE) {
    throw new InputError(
      `${entityLabel(
        entity,
      )}: spec.type must be '${RECORDED_NUMBER_RESOURCE_TYPE}', got ${JSON.stringify(
        spec.type,
      )}`,
    );
  }
  if (typeof spec.owner !== 'string' || !spec.owner.trim()) {
    throw new InputError(
      `${entityLabel(
        entity,
      )}: spec.owner must be the entity ref of the number's user, got ${JSON.stringify(
        spec.owner,
      )}`,
    );
  }
  if (
    spec.system !== undefined &&
    (typeof spec.system !== 'string' || !spec.system.trim())
  ) {
    throw new InputError(
      `${entityLabel(
        entity,
      )}: spec.system must be a System entity ref when given, got ${JSON.stringify(
        spec.system,
      )}`,
    );
  }
  targetRef(spec.owner, 'User', 'default', entity, 'spec.owner');
  if (spec.system !== undefined) {
    targetRef(
      spec.system as string,
      'System',
      'default',
      entity,
      'spec.system',
    );
  }
  return spec as unknown as RecordedNumberSpec;
}

/** The relation target, lower-cased like the refs the permission policy compares. */
function targetRef(
  ref: string,
  defaultKind: string,
  defaultNamespace: string,
  entity: Entity,
  field: string,
): CompoundEntityRef {
  let parsed: CompoundEntityRef;
  try {
    parsed = parseEntityRef(ref, { defaultKind, defaultNamespace });
  } catch (error) {
    throw new InputError(
      `${entityLabel(entity)}: ${field} ${JSON.stringify(
        ref,
      )} is not an entity ref: ${(error as Error).message}`,
    );
  }
  return {
    kind: parsed.kind.toLocaleLowerCase('en-US'),
    namespace: parsed.namespace.toLocaleLowerCase('en-US'),
    name: parsed.name.toLocaleLowerCase('en-US'),
  };
}
