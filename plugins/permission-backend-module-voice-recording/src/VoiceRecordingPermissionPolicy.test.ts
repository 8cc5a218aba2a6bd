import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  voiceRecordingAuditReadPermission,
  voiceRecordingNumberReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { VoiceRecordingPermissionPolicy } from './VoiceRecordingPermissionPolicy';

function mockUser(userEntityRef: string, groups: string[]): PolicyQueryUser {
  return {
    credentials: mockCredentials.user(userEntityRef),
    info: {
      userEntityRef,
      ownershipEntityRefs: [userEntityRef, ...groups],
    },
  };
}

const alice = mockUser('user:default/alice', ['group:default/compliance']);
const bob = mockUser('user:default/bob', ['group:default/trading']);

const catalogEntityRead = createPermission({
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});
const catalogLocationRead = createPermission({
  name: 'catalog.location.read',
  attributes: { action: 'read' },
});
const scaffolderTaskCreate = createPermission({
  name: 'scaffolder.task.create',
  attributes: { action: 'create' },
});

const policyWith = (permissionPolicy?: unknown) =>
  VoiceRecordingPermissionPolicy.fromConfig(
    mockServices.rootConfig({
      data:
        permissionPolicy === undefined
          ? {}
          : { voiceRecording: { permissionPolicy } },
    }),
  );

/** The suite's catalog restriction for bob: every entity but others' recorded numbers. */
const hideOthersNumbers = {
  result: AuthorizeResult.CONDITIONAL,
  pluginId: 'catalog',
  resourceType: 'catalog-entity',
  conditions: {
    anyOf: [
      {
        not: {
          rule: 'HAS_SPEC',
          resourceType: 'catalog-entity',
          params: { key: 'type', value: 'mobile-number' },
        },
      },
      {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['user:default/bob', 'group:default/trading'] },
      },
    ],
  },
};

describe('VoiceRecordingPermissionPolicy', () => {
  describe("other plugins' permissions by default (not configured)", () => {
    const policy = policyWith(undefined);

    it('denies them, to admins too: nothing is opened up silently', async () => {
      expect(policy.otherPermissions).toBe('deny');
      for (const user of [alice, bob]) {
        for (const permission of [
          catalogLocationRead,
          scaffolderTaskCreate,
          catalogEntityRead,
        ]) {
          await expect(policy.handle({ permission }, user)).resolves.toEqual({
            result: AuthorizeResult.DENY,
          });
        }
      }
    });

    it('still answers the voice-recording permissions', async () => {
      await expect(
        policy.handle({ permission: voiceRecordingAuditReadPermission }, alice),
      ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
      await expect(
        policy.handle({ permission: voiceRecordingNumberReadPermission }, bob),
      ).resolves.toMatchObject({
        result: AuthorizeResult.CONDITIONAL,
        resourceType: 'voice-recording-number',
      });
      await expect(
        policy.handle({ permission: voiceRecordingAuditReadPermission }, bob),
      ).resolves.toEqual({ result: AuthorizeResult.DENY });
    });
  });

  describe('otherPermissions: allow', () => {
    const policy = policyWith({ otherPermissions: 'allow' });

    it('allows them to everybody signed in', async () => {
      expect(policy.otherPermissions).toBe('allow');
      for (const permission of [catalogLocationRead, scaffolderTaskCreate]) {
        await expect(policy.handle({ permission }, bob)).resolves.toEqual({
          result: AuthorizeResult.ALLOW,
        });
      }
    });

    it("still hides other users' recorded numbers in the catalog", async () => {
      await expect(
        policy.handle({ permission: catalogEntityRead }, bob),
      ).resolves.toEqual(hideOthersNumbers);
      await expect(
        policy.handle({ permission: catalogEntityRead }, alice),
      ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
    });

    it('still denies voice-recording permissions the user does not have', async () => {
      await expect(
        policy.handle({ permission: voiceRecordingAuditReadPermission }, bob),
      ).resolves.toEqual({ result: AuthorizeResult.DENY });
    });
  });

  it('otherPermissions: deny denies them explicitly', async () => {
    const policy = policyWith({ otherPermissions: 'deny' });
    expect(policy.otherPermissions).toBe('deny');
    await expect(
      policy.handle({ permission: catalogLocationRead }, alice),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
  });

  it.each([
    [
      'an unknown word',
      'allow-all',
      /"allow-all": it must be one of 'deny', 'allow'/,
    ],
    ['another case', 'Allow', /"Allow": it must be one of 'deny', 'allow'/],
    ['a boolean', true, /it must be one of 'deny', 'allow'/],
  ])(
    'refuses %s with an error naming the setting and the choices',
    (_what, otherPermissions, message) => {
      expect(() => policyWith({ otherPermissions })).toThrow(
        /voiceRecording\.permissionPolicy\.otherPermissions/,
      );
      expect(() => policyWith({ otherPermissions })).toThrow(message);
    },
  );

  it('reads the admin groups', async () => {
    const policy = VoiceRecordingPermissionPolicy.fromConfig(
      mockServices.rootConfig({
        data: { voiceRecording: { adminGroups: ['group:default/risk'] } },
      }),
    );
    expect(policy.adminEntityRefs).toEqual(['group:default/risk']);
  });
});
