import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** A user's groups and display name, from the catalog. */
export interface UserDirectoryEntry {
  groups: string[];
  displayName?: string;
}

/** How long the users' groups are reused (the page's summary and list ask one after the other). */
export const OWNER_GROUPS_TTL_MS = 60_000;

function groupsOf(user: Entity): string[] {
  const out = new Set<string>();
  for (const r of user.relations ?? [])
    if (r.type === 'memberOf' && r.targetRef.toLowerCase().startsWith('group:'))
      out.add(r.targetRef.toLowerCase());
  const spec = (user.spec as any)?.memberOf;
  for (const item of Array.isArray(spec) ? spec : []) {
    if (typeof item !== 'string') continue;
    try {
      out.add(
        stringifyEntityRef(
          parseEntityRef(item, {
            defaultKind: 'group',
            defaultNamespace: user.metadata.namespace ?? 'default',
          }),
        ).toLowerCase(),
      );
    } catch {
      // an unparsable ref in the catalog: ignored
    }
  }
  return [...out].sort();
}

/**
 * The catalog groups each user belongs to directly (memberOf relations and spec), as the
 * caller sees the catalog: the per-group view of Recording health groups numbers by their
 * owner's groups. Reused for {@link OWNER_GROUPS_TTL_MS}; a failure is not reused.
 */
export class OwnerGroups {
  private cached?: {
    key: string;
    at: number;
    groups: Promise<Map<string, UserDirectoryEntry>>;
  };

  constructor(
    private readonly catalog: Pick<CatalogService, 'getEntities'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** user ref (lower case) → group refs (lower case, sorted) and display name. */
  directory(
    credentials: BackstageCredentials,
  ): Promise<Map<string, UserDirectoryEntry>> {
    const key = JSON.stringify(credentials.principal);
    const now = this.now();
    if (
      this.cached &&
      this.cached.key === key &&
      now - this.cached.at < OWNER_GROUPS_TTL_MS
    )
      return this.cached.groups;
    const groups = this.catalog
      .getEntities(
        {
          filter: { kind: 'User' },
          fields: [
            'kind',
            'metadata.name',
            'metadata.namespace',
            'spec.memberOf',
            'spec.profile.displayName',
            'relations',
          ],
        },
        { credentials },
      )
      .then(
        r =>
          new Map(
            r.items.map(u => {
              const displayName = (u.spec as any)?.profile?.displayName;
              return [
                stringifyEntityRef(u).toLowerCase(),
                {
                  groups: groupsOf(u),
                  ...(typeof displayName === 'string' && displayName
                    ? { displayName }
                    : {}),
                },
              ];
            }),
          ),
      );
    const entry = { key, at: now, groups };
    this.cached = entry;
    groups.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return groups;
  }
}
