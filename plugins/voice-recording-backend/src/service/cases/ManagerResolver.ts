import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** Annotation (on a User or a Group) naming the manager who approves access requests. */
export const MANAGER_ANNOTATION = 'voice-recording/manager';

const normal = (ref: string, defaultKind: string) =>
  stringifyEntityRef(
    parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
  ).toLowerCase();

function annotated(entity: Entity | undefined): string | undefined {
  const v = entity?.metadata.annotations?.[MANAGER_ANNOTATION];
  if (!v) return undefined;
  try {
    return normal(v, 'user');
  } catch {
    return undefined; // an unreadable annotation counts as none
  }
}

/**
 * The manager of a user, from the catalog: the `voice-recording/manager` annotation of
 * the user; else, over the groups the user is a member of (groups of `spec.type` team
 * first), the group's annotation, else the group's `ownedBy` relation to a user. The
 * user themselves never counts as their own manager.
 */
export class ManagerResolver {
  constructor(private readonly catalog: CatalogService) {}

  async managerOf(
    userRef: string,
    credentials: BackstageCredentials,
  ): Promise<string | undefined> {
    const me = userRef.toLowerCase();
    const user = await this.catalog.getEntityByRef(me, { credentials });
    const own = annotated(user);
    if (own && own !== me) return own;
    const groupRefs = (user?.relations ?? [])
      .filter(r => r.type === 'memberOf')
      .map(r => r.targetRef.toLowerCase());
    if (groupRefs.length === 0) return undefined;
    const { items } = await this.catalog.getEntitiesByRefs(
      { entityRefs: groupRefs },
      { credentials },
    );
    const groups = items
      .filter((g): g is Entity => Boolean(g))
      .sort(
        (a, b) =>
          Number((b.spec as any)?.type === 'team') -
          Number((a.spec as any)?.type === 'team'),
      );
    for (const g of groups) {
      const candidates = [
        annotated(g),
        ...(g.relations ?? [])
          .filter(r => r.type === 'ownedBy')
          .map(r => r.targetRef.toLowerCase())
          .filter(r => r.startsWith('user:')),
      ];
      const found = candidates.find(c => c && c !== me);
      if (found) return found;
    }
    return undefined;
  }
}
