import { AuthService } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** Resolves catalog groups to their members, as retention scopes need them. */
export interface RetentionGroupResolver {
  /**
   * The users (refs, lower case) of each group and of its child groups, transitively;
   * `missing`: the groups the catalog does not have.
   */
  members(
    groupRefs: string[],
  ): Promise<{ members: Map<string, string[]>; missing: string[] }>;
}

const refOf = (e: Entity) => stringifyEntityRef(e).toLowerCase();

function related(e: Entity, type: string): string[] {
  return (e.relations ?? [])
    .filter(r => r.type === type)
    .map(r => r.targetRef.toLowerCase());
}

function specRefs(e: Entity, field: string, kind: string): string[] {
  const v = (e.spec as any)?.[field];
  const out: string[] = [];
  let items: unknown[] = [];
  if (Array.isArray(v)) items = v;
  else if (typeof v === 'string') items = [v];
  for (const item of items) {
    try {
      out.push(
        stringifyEntityRef(
          parseEntityRef(String(item), {
            defaultKind: kind,
            defaultNamespace: e.metadata.namespace ?? 'default',
          }),
        ).toLowerCase(),
      );
    } catch {
      // an unparsable ref in the catalog: ignored
    }
  }
  return out;
}

/**
 * Group membership from the catalog with the plugin's own service credentials (a
 * background job has no user): relations and specs (memberOf, children/parent), child
 * groups included. Unbounded: a retention scope may be a whole department.
 */
export class CatalogRetentionGroups implements RetentionGroupResolver {
  constructor(
    private readonly catalog: Pick<CatalogService, 'getEntities'>,
    private readonly auth: Pick<AuthService, 'getOwnServiceCredentials'>,
  ) {}

  async members(groupRefs: string[]) {
    const credentials = await this.auth.getOwnServiceCredentials();
    const [groups, users] = await Promise.all(
      (['Group', 'User'] as const).map(kind =>
        this.catalog
          .getEntities(
            {
              filter: { kind },
              fields: [
                'kind',
                'metadata.name',
                'metadata.namespace',
                'spec',
                'relations',
              ],
            },
            { credentials },
          )
          .then(r => r.items),
      ),
    );
    const byRef = new Map(groups.map(g => [refOf(g), g]));
    const children = new Map<string, Set<string>>();
    const link = (parent: string, child: string) => {
      if (!children.has(parent)) children.set(parent, new Set());
      children.get(parent)!.add(child);
    };
    for (const [ref, g] of byRef) {
      for (const c of [
        ...related(g, 'parentOf'),
        ...specRefs(g, 'children', 'group'),
      ])
        link(ref, c);
      for (const p of [
        ...related(g, 'childOf'),
        ...specRefs(g, 'parent', 'group'),
      ])
        link(p, ref);
    }
    const userGroups = users.map(u => ({
      ref: refOf(u),
      of: new Set([
        ...related(u, 'memberOf'),
        ...specRefs(u, 'memberOf', 'group'),
      ]),
    }));
    const members = new Map<string, string[]>();
    const missing: string[] = [];
    for (const root of groupRefs.map(g => g.toLowerCase())) {
      if (!byRef.has(root)) {
        missing.push(root);
        continue;
      }
      const tree = new Set([root]);
      const queue = [root];
      while (queue.length)
        for (const c of children.get(queue.shift()!) ?? [])
          if (!tree.has(c)) {
            tree.add(c);
            queue.push(c);
          }
      const out = new Set<string>();
      for (const g of tree)
        for (const m of related(byRef.get(g) ?? ({} as Entity), 'hasMember'))
          if (m.startsWith('user:')) out.add(m);
      for (const u of userGroups)
        if ([...u.of].some(g => tree.has(g))) out.add(u.ref);
      members.set(root, [...out].sort());
    }
    return { members, missing };
  }
}
