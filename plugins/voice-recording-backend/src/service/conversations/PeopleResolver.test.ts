import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  DIRECTORY_TTL_MS,
  MAX_RESOLVED_USERS,
  PeopleResolver,
  foldText,
} from './PeopleResolver';

const user = (
  name: string,
  displayName: string,
  memberOf: string[] = [],
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName, email: `${name}@bank.example` }, memberOf },
});
const group = (name: string, spec: Record<string, unknown>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default' },
  spec: { type: 'team', children: [], ...spec },
});

/** A catalog as written in YAML (specs only, no relations computed): bank > markets > fx. */
const entities = [
  group('bank', { children: ['markets'] }),
  group('markets', { parent: 'bank', children: ['fx'] }),
  group('fx', { parent: 'markets' }),
  group('ops', {}),
  user('zoe', 'Zoë Lefèvre', ['fx']),
  user('marc', 'Marc Dupont', ['markets']),
  user('ann', 'Ann Ops', ['ops']),
];

describe('PeopleResolver', () => {
  const alice = mockCredentials.user('user:default/alice');

  it('folds case and accents', () => {
    expect(foldText(' Zoë LEFÈVRE ')).toBe('zoe lefevre');
  });

  it("takes the members of child groups transitively, from the entities' specs", async () => {
    const people = new PeopleResolver(catalogServiceMock({ entities }));
    expect(await people.groupMembers('bank', alice)).toEqual([
      'user:default/marc',
      'user:default/zoe',
    ]);
    expect(await people.groupMembers('group:default/fx', alice)).toEqual([
      'user:default/zoe',
    ]);
    expect(await people.users('lefevre', alice)).toEqual(['user:default/zoe']);
    await expect(people.groupMembers('nope', alice)).rejects.toThrow(
      'group: there is no Group entity group:default/nope in the catalog',
    );
  });

  it('asks the catalog once per caller within the TTL (a search and its pages), again after', async () => {
    let now = 1_000_000;
    const catalog = catalogServiceMock({ entities });
    const spy = jest.spyOn(catalog, 'getEntities');
    const people = new PeopleResolver(catalog, () => now);
    await people.users('zoe', alice);
    await people.users('marc', alice);
    expect(spy).toHaveBeenCalledTimes(1);
    // another caller sees the catalog with their own rights
    await people.users('zoe', mockCredentials.user('user:default/bob'));
    expect(spy).toHaveBeenCalledTimes(2);
    now += DIRECTORY_TTL_MS;
    await people.users('zoe', alice);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('refuses a text that matches more than MAX_RESOLVED_USERS users', async () => {
    const many = Array.from({ length: MAX_RESOLVED_USERS + 1 }, (_, i) =>
      user(`trader${i}`, `Trader ${i}`),
    );
    const people = new PeopleResolver(catalogServiceMock({ entities: many }));
    await expect(people.users('trader', alice)).rejects.toThrow(
      `user: "trader" matches ${
        MAX_RESOLVED_USERS + 1
      } users, more than ${MAX_RESOLVED_USERS}; be more specific`,
    );
    expect(await people.users('trader12', alice)).toHaveLength(11);
  });
});
