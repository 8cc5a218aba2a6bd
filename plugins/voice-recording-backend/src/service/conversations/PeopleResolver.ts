import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { entityRefOf, GroupMembership } from '../catalogGroups';

/** At most this many users from one `user` or `group` filter (an IN list in SQL). */
export const MAX_RESOLVED_USERS = 1000;

/** How long the catalog's users and groups are reused for one caller's searches (pages). */
export const DIRECTORY_TTL_MS = 30_000;
const DIRECTORY_CACHE_MAX = 200;

/** Lower case, accents removed ("Zoë Dubois" -> "zoe dubois"), for substring matching. */
export function foldText(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();
}

const USER_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'spec.profile.displayName',
  'spec.profile.email',
  'spec.memberOf',
  'relations',
];
const GROUP_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'spec.parent',
  'spec.children',
  'relations',
];

/** `user:x` / `user:default/x` (an entity ref of kind User), lower case; else undefined. */
function userRefOf(input: string): string | undefined {
  if (!/^user:/i.test(input)) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(input, { defaultNamespace: 'default' }),
    ).toLowerCase();
  } catch {
    return undefined;
  }
}

function groupRefOf(input: string, field: string): string {
  try {
    const ref = stringifyEntityRef(
      parseEntityRef(input, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      }),
    ).toLowerCase();
    if (!ref.startsWith('group:'))
      throw new InputError(`${field}: ${ref} is not a Group entity`);
    return ref;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      `${field}: "${input}" is not a group name or reference`,
    );
  }
}

/**
 * Turns the conversation search's `user` (a name, e-mail, display name or entity ref)
 * and `group` (a group name or ref) filters into the user refs whose calls they mean,
 * through the catalog as the searching user sees it. Only narrows a search: the
 * visibility condition still applies in SQL.
 */
export class PeopleResolver {
  private readonly cache = new Map<
    string,
    { at: number; entities: Promise<Entity[]> }
  >();

  constructor(
    private readonly catalog: CatalogService,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The User or Group entities as this caller sees them, reused for DIRECTORY_TTL_MS
   * (a search and its next pages ask once); failures are not reused.
   */
  private entities(
    kind: 'User' | 'Group',
    credentials: BackstageCredentials,
  ): Promise<Entity[]> {
    const key = `${kind} ${JSON.stringify(credentials.principal)}`;
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < DIRECTORY_TTL_MS) return hit.entities;
    const entities = this.catalog
      .getEntities(
        {
          filter: { kind },
          fields: kind === 'User' ? USER_FIELDS : GROUP_FIELDS,
        },
        { credentials },
      )
      .then(r => r.items);
    this.cache.delete(key);
    this.cache.set(key, { at: now, entities });
    entities.catch(() => {
      if (this.cache.get(key)?.entities === entities) this.cache.delete(key);
    });
    for (const [k, entry] of this.cache) {
      if (
        this.cache.size <= DIRECTORY_CACHE_MAX &&
        now - entry.at < DIRECTORY_TTL_MS
      )
        break;
      this.cache.delete(k);
    }
    return entities;
  }

  /**
   * `user:default/carol` / `user:carol` as is; otherwise the User entities whose name,
   * display name or e-mail contains the text (case and accents ignored).
   */
  async users(
    text: string,
    credentials: BackstageCredentials,
  ): Promise<string[]> {
    const ref = userRefOf(text);
    if (ref) return [ref];
    const needle = foldText(text);
    const items = await this.entities('User', credentials);
    const refs = items
      .filter(u => {
        const profile = (u.spec as any)?.profile ?? {};
        return [u.metadata.name, profile.displayName, profile.email].some(
          v => typeof v === 'string' && foldText(v).includes(needle),
        );
      })
      .map(entityRefOf);
    return this.bounded(refs, 'user', text);
  }

  /**
   * The members of the group and of its child groups, transitively (a department's
   * calls include its teams'), through the `memberOf`/`hasMember` and
   * `childOf`/`parentOf` relations and the entities' specs. 400 when the catalog has no
   * such group.
   */
  async groupMembers(
    input: string,
    credentials: BackstageCredentials,
  ): Promise<string[]> {
    const root = groupRefOf(input, 'group');
    const [groups, users] = await Promise.all([
      this.entities('Group', credentials),
      this.entities('User', credentials),
    ]);
    const membership = new GroupMembership(groups, users);
    if (!membership.has(root))
      throw new InputError(
        `group: there is no Group entity ${root} in the catalog`,
      );
    return this.bounded(membership.members(root), 'group', input);
  }

  private bounded(refs: string[], field: string, input: string): string[] {
    if (refs.length > MAX_RESOLVED_USERS) {
      throw new InputError(
        `${field}: "${input}" matches ${refs.length} users, more than ${MAX_RESOLVED_USERS}; be more specific`,
      );
    }
    return refs;
  }
}
