import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/** An entity's ref, lower case. */
export const entityRefOf = (e: Entity) => stringifyEntityRef(e).toLowerCase();

/** Refs of `entity`'s relations of `type`, lower case. */
export function related(entity: Entity, type: string): string[] {
  return (entity.relations ?? [])
    .filter(r => r.type === type)
    .map(r => r.targetRef.toLowerCase());
}

/**
 * The refs (lower case) in `entity.spec[key]` (one ref or a list; `kind` and the
 * entity's namespace by default); items that are not strings or not refs are ignored.
 */
export function specRefs(entity: Entity, key: string, kind: string): string[] {
  const v = (entity.spec as any)?.[key];
  let list: unknown[] = [];
  if (Array.isArray(v)) list = v;
  else if (v) list = [v];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') continue;
    try {
      out.push(
        stringifyEntityRef(
          parseEntityRef(item, {
            defaultKind: kind,
            defaultNamespace: entity.metadata.namespace ?? 'default',
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
 * Group membership from catalog Group and User entities: a group's members are the
 * users of the group and of its child groups, transitively (a department includes its
 * teams), through the `memberOf`/`hasMember` and `childOf`/`parentOf` relations and the
 * entities' specs (`memberOf`, `children`, `parent`).
 */
export class GroupMembership {
  private readonly byRef: Map<string, Entity>;
  private readonly children = new Map<string, Set<string>>();
  private readonly userGroups: { ref: string; of: string[] }[];

  constructor(groups: Entity[], users: Entity[]) {
    this.byRef = new Map(groups.map(g => [entityRefOf(g), g]));
    const link = (parent: string, child: string) => {
      if (!this.children.has(parent)) this.children.set(parent, new Set());
      this.children.get(parent)!.add(child);
    };
    for (const [ref, g] of this.byRef) {
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
    this.userGroups = users.map(u => ({
      ref: entityRefOf(u),
      of: [...related(u, 'memberOf'), ...specRefs(u, 'memberOf', 'group')],
    }));
  }

  /** Whether the catalog has the group (`groupRef` lower case). */
  has(groupRef: string): boolean {
    return this.byRef.has(groupRef);
  }

  /** The user refs (lower case, sorted) of the group (lower case) and its child groups. */
  members(root: string): string[] {
    const tree = new Set([root]);
    const queue = [root];
    while (queue.length)
      for (const c of this.children.get(queue.shift()!) ?? [])
        if (!tree.has(c)) {
          tree.add(c);
          queue.push(c);
        }
    const out = new Set<string>();
    for (const g of tree) {
      const entity = this.byRef.get(g);
      if (entity)
        for (const m of related(entity, 'hasMember'))
          if (m.startsWith('user:')) out.add(m);
    }
    for (const u of this.userGroups)
      if (u.of.some(g => tree.has(g))) out.add(u.ref);
    return [...out].sort();
  }
}
