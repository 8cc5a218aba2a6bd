import { Entity } from '@backstage/catalog-model';
import { GroupMembership, specRefs } from './catalogGroups';

const entity = (
  kind: string,
  name: string,
  spec: object = {},
  relations: { type: string; targetRef: string }[] = [],
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name, namespace: 'default' },
  spec,
  relations,
});

describe('GroupMembership', () => {
  // sales > sales-eu (relations) > sales-be (specs only); ops is separate
  const groups = [
    entity('Group', 'sales', {}, [
      { type: 'parentOf', targetRef: 'group:default/Sales-EU' },
      { type: 'hasMember', targetRef: 'user:default/ann' },
      { type: 'hasMember', targetRef: 'group:default/not-a-user' },
    ]),
    entity('Group', 'sales-eu'),
    entity('Group', 'sales-be', { parent: 'sales-eu' }),
    entity('Group', 'ops', { children: [] }),
  ];
  const users = [
    entity('User', 'bob', {}, [
      { type: 'memberOf', targetRef: 'group:default/sales-eu' },
    ]),
    entity('User', 'Carol', { memberOf: ['sales-be', 42, 'group:'] }),
    entity('User', 'dave', { memberOf: 'ops' }),
  ];
  const membership = new GroupMembership(groups, users);

  it('gives the users of a group and of its child groups, transitively, sorted', () => {
    expect(membership.members('group:default/sales')).toEqual([
      'user:default/ann',
      'user:default/bob',
      'user:default/carol',
    ]);
    expect(membership.members('group:default/sales-be')).toEqual([
      'user:default/carol',
    ]);
    expect(membership.members('group:default/ops')).toEqual([
      'user:default/dave',
    ]);
  });

  it('knows which groups the catalog has', () => {
    expect(membership.has('group:default/sales-be')).toBe(true);
    expect(membership.has('group:default/nobody')).toBe(false);
  });

  it('reads refs from a spec: one or a list, strings only, unparsable ones ignored', () => {
    expect(specRefs(users[1], 'memberOf', 'group')).toEqual([
      'group:default/sales-be',
    ]);
    expect(specRefs(users[2], 'memberOf', 'group')).toEqual([
      'group:default/ops',
    ]);
    expect(specRefs(users[0], 'memberOf', 'group')).toEqual([]);
  });
});
