/*
 * The features of a test backend with the voice-recording plugin on a test database, for
 * tests of the storage behind the API (local, encrypted, S3): alice
 * (user:default/alice, "Alice Martin" in the catalog) may do everything, nobody else
 * anything; events and notifications are stand-ins.
 */
import { mockServices } from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import { voiceRecordingPlugin } from '../../plugin';

export const ALICE = 'user:default/alice';

/** alice may do everything; nobody else anything */
const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => ({
    async authorize(requests, { credentials }) {
      const ok = (credentials.principal as any).userEntityRef === ALICE;
      return requests.map(() => ({
        result: ok ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      })) as any;
    },
    async authorizeConditional(queries, { credentials }) {
      const ok = (credentials.principal as any).userEntityRef === ALICE;
      return queries.map(() => ({
        result: ok ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      })) as any;
    },
  }),
});

const directory = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'alice', namespace: 'default' },
    spec: {
      profile: { displayName: 'Alice Martin', email: 'alice@example.com' },
      memberOf: [],
    },
  },
];

/**
 * The voice-recording plugin on `knex` with `voiceRecording` as its config, alice
 * allowed everything, and `extra` features (e.g. a root logger) on top.
 */
export function aliceTestFeatures(
  knex: Knex,
  voiceRecording: JsonObject,
  extra: unknown[] = [],
) {
  return [
    voiceRecordingPlugin,
    mockServices.database.factory({ knex }),
    mockServices.rootConfig.factory({ data: { voiceRecording } }),
    permissionsFactory,
    catalogServiceMock.factory({ entities: directory }),
    mockServices.events.mock().factory,
    ...extra,
    createServiceFactory({
      service: notificationService,
      deps: {},
      factory: () => ({ send: async () => undefined }),
    }),
  ] as any;
}

/** Two channels of a rising sweep (so that Opus does not compress it to almost nothing), 16-bit interleaved. */
export function sweepTone(seconds: number, rate = 8000): Int16Array {
  const out = new Int16Array(seconds * rate * 2);
  for (let i = 0; i < seconds * rate; i++) {
    const f = 300 + (i / rate) * 40;
    out[i * 2] = Math.round(8000 * Math.sin((2 * Math.PI * f * i) / rate));
    out[i * 2 + 1] = Math.round(
      4000 * Math.sin((2 * Math.PI * (f + 220) * i) / rate),
    );
  }
  return out;
}
