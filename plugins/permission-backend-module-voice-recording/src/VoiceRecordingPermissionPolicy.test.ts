import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  voiceRecordingAuditReadPermission,
  voiceRecordingConversationDownloadPermission,
  voiceRecordingConversationExportPermission,
  voiceRecordingConversationReadPermission,
  voiceRecordingBulkSchedulePermission,
  voiceRecordingNumberCreatePermission,
  voiceRecordingNumberDeletePermission,
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingNumberUpdatePermission,
  voiceRecordingPermissions,
  voiceRecordingPlanningModelManagePermission,
  voiceRecordingPlanningModelReadPermission,
  voiceRecordingPolicyQueryPermission,
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
const dave = mockUser('user:default/dave', ['group:default/observers']);

const catalogEntityRead = createPermission({
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});

const ownerCondition = (userRefs: string[]) => ({
  rule: 'IS_NUMBER_OWNER',
  resourceType: 'voice-recording-number',
  params: { userRefs },
});

describe('VoiceRecordingPermissionPolicy', () => {
  const policy = VoiceRecordingPermissionPolicy.fromConfig(
    mockServices.rootConfig({ data: {} }),
  );

  it('defaults the admin groups to group:default/compliance', () => {
    expect(policy.adminEntityRefs).toEqual(['group:default/compliance']);
  });

  it.each(voiceRecordingPermissions.map(p => [p.name, p] as const))(
    'allows admins %s',
    async (_name, permission) => {
      await expect(policy.handle({ permission }, alice)).resolves.toEqual({
        result: AuthorizeResult.ALLOW,
      });
    },
  );

  it('gives standard users a conditional read limited to their own numbers', async () => {
    await expect(
      policy.handle({ permission: voiceRecordingNumberReadPermission }, bob),
    ).resolves.toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'voice-recording',
      resourceType: 'voice-recording-number',
      conditions: ownerCondition(['user:default/bob', 'group:default/trading']),
    });
  });

  it('lets standard users self-manage only their own self-managed numbers', async () => {
    await expect(
      policy.handle(
        { permission: voiceRecordingNumberSelfManagePermission },
        bob,
      ),
    ).resolves.toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'voice-recording',
      resourceType: 'voice-recording-number',
      conditions: {
        allOf: [
          ownerCondition(['user:default/bob', 'group:default/trading']),
          {
            rule: 'IS_SELF_MANAGED',
            resourceType: 'voice-recording-number',
            params: undefined,
          },
        ],
      },
    });
  });

  it('gives standard users a conditional conversation read limited to their own calls', async () => {
    await expect(
      policy.handle(
        { permission: voiceRecordingConversationReadPermission },
        bob,
      ),
    ).resolves.toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'voice-recording',
      resourceType: 'voice-recording-conversation',
      conditions: {
        rule: 'IS_CONVERSATION_OWNER',
        resourceType: 'voice-recording-conversation',
        params: { userRefs: ['user:default/bob', 'group:default/trading'] },
      },
    });
  });

  it('lets standard users read planning models', async () => {
    await expect(
      policy.handle(
        { permission: voiceRecordingPlanningModelReadPermission },
        dave,
      ),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

  it.each(
    [
      voiceRecordingNumberCreatePermission,
      voiceRecordingNumberUpdatePermission,
      voiceRecordingNumberDeletePermission,
      voiceRecordingPlanningModelManagePermission,
      voiceRecordingBulkSchedulePermission,
      voiceRecordingPolicyQueryPermission,
      voiceRecordingAuditReadPermission,
      voiceRecordingConversationDownloadPermission,
      voiceRecordingConversationExportPermission,
      createPermission({
        name: 'voice-recording.case.create',
        attributes: { action: 'create' },
      }),
    ].map(p => [p.name, p] as const),
  )('denies standard users %s', async (_name, permission) => {
    await expect(policy.handle({ permission }, bob)).resolves.toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it('allows permissions of other plugins to everybody signed in', async () => {
    const catalogLocationRead = createPermission({
      name: 'catalog.location.read',
      attributes: { action: 'read' },
    });
    await expect(
      policy.handle({ permission: catalogLocationRead }, bob),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('lets admins read every catalog entity', async () => {
    await expect(
      policy.handle({ permission: catalogEntityRead }, alice),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

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

  it("hides other users' recorded-number entities from standard users in the catalog", async () => {
    await expect(
      policy.handle({ permission: catalogEntityRead }, bob),
    ).resolves.toEqual(hideOthersNumbers);
  });

  it.each([
    ['catalog.entity.refresh', 'update'],
    ['catalog.entity.delete', 'delete'],
  ] as const)(
    "applies the same condition to %s (no acting on, nor probing, another user's number)",
    async (name, action) => {
      const permission = createPermission({
        name,
        attributes: { action },
        resourceType: 'catalog-entity',
      });
      await expect(policy.handle({ permission }, bob)).resolves.toEqual(
        hideOthersNumbers,
      );
      await expect(policy.handle({ permission }, alice)).resolves.toEqual({
        result: AuthorizeResult.ALLOW,
      });
    },
  );

  it('denies voice-recording permissions when there is no user', async () => {
    await expect(
      policy.handle({ permission: voiceRecordingNumberReadPermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
  });

  it('reads admin groups from config, matching refs case- and shorthand-insensitively', async () => {
    const custom = VoiceRecordingPermissionPolicy.fromConfig(
      mockServices.rootConfig({
        data: { voiceRecording: { adminGroups: ['Observers'] } },
      }),
    );
    expect(custom.adminEntityRefs).toEqual(['group:default/observers']);
    await expect(
      custom.handle({ permission: voiceRecordingAuditReadPermission }, dave),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
    // alice is no admin any more under this configuration
    await expect(
      custom.handle({ permission: voiceRecordingAuditReadPermission }, alice),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
  });

  it('rejects an invalid admin group ref with a message naming the setting', () => {
    expect(
      () =>
        new VoiceRecordingPermissionPolicy({ adminGroups: ['group:default/'] }),
    ).toThrow(/voiceRecording\.adminGroups/);
  });
});
