import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EntityPresentationApi,
  catalogApiRef,
  defaultEntityPresentation,
  entityPresentationApiRef,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';

const user = (name: string, displayName: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: {
    profile: { displayName, email: `${name}@acme-bank.example` },
    memberOf: [],
  },
});

/** The people of examples/org.yaml, as the catalog holds them. */
export const CATALOG_PEOPLE: Entity[] = [
  user('alice', 'Alice Martin'),
  user('bob', 'Bob Peeters'),
  user('carol', 'Carol Dubois'),
  user('dave', 'Dave Janssens'),
];

/** The trading team (group:default/trading, "Trading desk"). */
export const CATALOG_TRADING_GROUP: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'trading', namespace: 'default' },
  spec: {
    type: 'team',
    profile: { displayName: 'Trading desk' },
    children: [],
  },
};

/** The catalog a page shows people from: its API (in memory) ... */
export const catalogApi = (entities: Entity[] = CATALOG_PEOPLE) =>
  [catalogApiRef, catalogApiMock({ entities })] as const;

/**
 * ... names as the catalog plugin presents them (display name of the entity, the
 * short ref for refs it does not hold) ...
 */
export const entityPresentationApi = (entities: Entity[] = CATALOG_PEOPLE) => {
  const byRef = new Map(entities.map(e => [stringifyEntityRef(e), e]));
  const api: EntityPresentationApi = {
    forEntity(entityOrRef, context) {
      const entity =
        typeof entityOrRef === 'string'
          ? byRef.get(entityOrRef.toLocaleLowerCase('en-US'))
          : entityOrRef;
      const snapshot = defaultEntityPresentation(
        entity ?? entityOrRef,
        context,
      );
      return { snapshot, promise: Promise.resolve(snapshot) };
    },
  };
  return [entityPresentationApiRef, api] as const;
};

/** Both APIs, for `apis: [...catalogApis(), ...]`. */
export const catalogApis = (entities: Entity[] = CATALOG_PEOPLE) => [
  catalogApi(entities),
  entityPresentationApi(entities),
];

/** ... and the catalog entity page that names link to. */
export const catalogRoutes = {
  '/catalog/:namespace/:kind/:name': entityRouteRef,
};
