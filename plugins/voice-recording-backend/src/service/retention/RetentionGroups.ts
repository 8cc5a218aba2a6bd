import { AuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { GroupMembership } from '../catalogGroups';

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
    const membership = new GroupMembership(groups, users);
    const members = new Map<string, string[]>();
    const missing: string[] = [];
    for (const root of groupRefs.map(g => g.toLowerCase())) {
      if (membership.has(root)) members.set(root, membership.members(root));
      else missing.push(root);
    }
    return { members, missing };
  }
}
