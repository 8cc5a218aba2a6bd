import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  voiceRecordingAccessRequestCreatePermission,
  voiceRecordingAccessRequestDecidePermission,
  voiceRecordingCaseLabelPermission,
  voiceRecordingCaseManagePermission,
  voiceRecordingCaseReadPermission,
  voiceRecordingConversationPlayPermission,
  voiceRecordingAuditReadPermission,
  voiceRecordingBulkSchedulePermission,
  voiceRecordingConversationDownloadPermission,
  voiceRecordingConversationExportPermission,
  voiceRecordingConversationReadPermission,
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
import {
  createVoiceRecordingPolicyHandler,
  VoiceRecordingPolicyHandler,
} from './VoiceRecordingPolicyHandler';

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

const catalogEntity = (name: string, action: 'read' | 'update' | 'delete') =>
  createPermission({
    name,
    attributes: { action },
    resourceType: 'catalog-entity',
  });
const catalogEntityRead = catalogEntity('catalog.entity.read', 'read');
const catalogEntityDelete = catalogEntity('catalog.entity.delete', 'delete');

const ownerCondition = (userRefs: string[]) => ({
  rule: 'IS_NUMBER_OWNER',
  resourceType: 'voice-recording-number',
  params: { userRefs },
});

const notARecordedNumber = {
  not: {
    rule: 'HAS_SPEC',
    resourceType: 'catalog-entity',
    params: { key: 'type', value: 'mobile-number' },
  },
};

/** The suite's catalog restriction for bob: every entity but others' recorded numbers. */
const hideOthersNumbers = {
  result: AuthorizeResult.CONDITIONAL,
  pluginId: 'catalog',
  resourceType: 'catalog-entity',
  conditions: {
    anyOf: [
      notARecordedNumber,
      {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['user:default/bob', 'group:default/trading'] },
      },
    ],
  },
};

describe('VoiceRecordingPolicyHandler', () => {
  const handler = createVoiceRecordingPolicyHandler(
    mockServices.rootConfig({ data: {} }),
  );

  describe('handle: the suite decides its own permissions', () => {
    it('defaults the admin groups to group:default/compliance', () => {
      expect(handler.adminEntityRefs).toEqual(['group:default/compliance']);
    });

    it.each(voiceRecordingPermissions.map(p => [p.name, p] as const))(
      'allows admins %s',
      async (_name, permission) => {
        await expect(handler.handle({ permission }, alice)).resolves.toEqual({
          result: AuthorizeResult.ALLOW,
        });
      },
    );

    it('gives standard users a conditional read limited to their own numbers', async () => {
      await expect(
        handler.handle({ permission: voiceRecordingNumberReadPermission }, bob),
      ).resolves.toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'voice-recording',
        resourceType: 'voice-recording-number',
        conditions: ownerCondition([
          'user:default/bob',
          'group:default/trading',
        ]),
      });
    });

    it('lets standard users self-manage only their own self-managed numbers', async () => {
      await expect(
        handler.handle(
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

    it.each([
      [voiceRecordingConversationReadPermission, 'list'],
      [voiceRecordingConversationPlayPermission, 'playback'],
    ] as const)(
      'gives standard users %s on their own calls and those of cases that give them the right',
      async (permission, right) => {
        await expect(handler.handle({ permission }, bob)).resolves.toEqual({
          result: AuthorizeResult.CONDITIONAL,
          pluginId: 'voice-recording',
          resourceType: 'voice-recording-conversation',
          conditions: {
            anyOf: [
              {
                rule: 'IS_CONVERSATION_OWNER',
                resourceType: 'voice-recording-conversation',
                params: {
                  userRefs: ['user:default/bob', 'group:default/trading'],
                },
              },
              {
                rule: 'HAS_CASE_RIGHT',
                resourceType: 'voice-recording-conversation',
                params: {
                  claims: ['user:default/bob', 'group:default/trading'],
                  right,
                },
              },
            ],
          },
        });
      },
    );

    it('lets standard users change the label of cases they own or have the label right on', async () => {
      const claims = ['user:default/bob', 'group:default/trading'];
      await expect(
        handler.handle({ permission: voiceRecordingCaseLabelPermission }, bob),
      ).resolves.toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'voice-recording',
        resourceType: 'voice-recording-case',
        conditions: {
          anyOf: [
            {
              rule: 'IS_CASE_OWNER',
              resourceType: 'voice-recording-case',
              params: { claims },
            },
            {
              rule: 'HAS_CASE_LABEL_RIGHT',
              resourceType: 'voice-recording-case',
              params: { claims },
            },
          ],
        },
      });
    });

    it.each([
      voiceRecordingCaseReadPermission,
      voiceRecordingAccessRequestCreatePermission,
    ])(
      'lets standard users $name (cases, access requests)',
      async permission => {
        await expect(handler.handle({ permission }, dave)).resolves.toEqual({
          result: AuthorizeResult.ALLOW,
        });
      },
    );

    it('lets standard users read planning models', async () => {
      await expect(
        handler.handle(
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
        voiceRecordingCaseManagePermission,
        voiceRecordingAccessRequestDecidePermission,
        createPermission({
          name: 'voice-recording.case.create',
          attributes: { action: 'create' },
        }),
      ].map(p => [p.name, p] as const),
    )('denies standard users %s', async (_name, permission) => {
      await expect(handler.handle({ permission }, bob)).resolves.toEqual({
        result: AuthorizeResult.DENY,
      });
    });

    it('denies voice-recording permissions when there is no user', async () => {
      await expect(
        handler.handle({ permission: voiceRecordingNumberReadPermission }),
      ).resolves.toEqual({ result: AuthorizeResult.DENY });
    });
  });

  describe("handle: the suite's restriction on catalog entities", () => {
    it("hides other users' recorded-number entities from standard users", async () => {
      await expect(
        handler.handle({ permission: catalogEntityRead }, bob),
      ).resolves.toEqual(hideOthersNumbers);
    });

    it.each([
      ['catalog.entity.refresh', 'update'],
      ['catalog.entity.delete', 'delete'],
    ] as const)(
      "applies the same condition to %s (no acting on, nor probing, another user's number)",
      async (name, action) => {
        const permission = catalogEntity(name, action);
        await expect(handler.handle({ permission }, bob)).resolves.toEqual(
          hideOthersNumbers,
        );
        await expect(handler.handle({ permission }, alice)).resolves.toEqual({
          result: AuthorizeResult.ALLOW,
        });
      },
    );

    it('adds no restriction for admins', async () => {
      await expect(
        handler.handle({ permission: catalogEntityRead }, alice),
      ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
    });

    it('hides every recorded number when there is no user', async () => {
      await expect(
        handler.handle({ permission: catalogEntityRead }),
      ).resolves.toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: notARecordedNumber,
      });
    });
  });

  describe('handle: "not mine" for every other permission', () => {
    it.each(
      [
        createPermission({
          name: 'catalog.location.read',
          attributes: { action: 'read' },
        }),
        createPermission({
          name: 'catalog.entity.create',
          attributes: { action: 'create' },
        }),
        createPermission({
          name: 'scaffolder.task.read',
          attributes: { action: 'read' },
        }),
        createPermission({
          name: 'voicerecording.lookalike',
          attributes: {},
        }),
      ].map(p => [p.name, p] as const),
    )('returns undefined for %s', async (_name, permission) => {
      await expect(
        handler.handle({ permission }, alice),
      ).resolves.toBeUndefined();
      await expect(
        handler.handle({ permission }, bob),
      ).resolves.toBeUndefined();
      await expect(handler.handle({ permission })).resolves.toBeUndefined();
    });
  });

  describe('decide: composed with a host policy', () => {
    /** A host policy: non-admins may not delete entities nor see APIs; every other permission allowed. */
    const hostRules = jest.fn(
      async (
        request: { permission: { name: string } },
        user?: PolicyQueryUser,
      ) => {
        const isPortalAdmin = user?.info.ownershipEntityRefs.includes(
          'group:default/platform',
        );
        if (isPortalAdmin) return { result: AuthorizeResult.ALLOW } as const;
        if (request.permission.name === 'catalog.entity.delete') {
          return { result: AuthorizeResult.DENY } as const;
        }
        if (request.permission.name === 'catalog.entity.read') {
          return {
            result: AuthorizeResult.CONDITIONAL,
            pluginId: 'catalog',
            resourceType: 'catalog-entity',
            conditions: {
              not: {
                rule: 'IS_ENTITY_KIND',
                resourceType: 'catalog-entity',
                params: { kinds: ['API'] },
              },
            },
          } as PolicyDecision;
        }
        return { result: AuthorizeResult.ALLOW } as const;
      },
    );
    const erin = mockUser('user:default/erin', ['group:default/platform']);
    beforeEach(() => hostRules.mockClear());

    it('decides voice-recording permissions itself, without asking the host', async () => {
      await expect(
        handler.decide(
          { permission: voiceRecordingNumberReadPermission },
          bob,
          hostRules,
        ),
      ).resolves.toMatchObject({ result: AuthorizeResult.CONDITIONAL });
      await expect(
        handler.decide(
          { permission: voiceRecordingAuditReadPermission },
          erin,
          hostRules,
        ),
      ).resolves.toEqual({ result: AuthorizeResult.DENY });
      expect(hostRules).not.toHaveBeenCalled();
    });

    it("leaves other plugins' permissions to the host", async () => {
      const permission = createPermission({
        name: 'scaffolder.task.read',
        attributes: { action: 'read' },
      });
      await expect(
        handler.decide({ permission }, bob, hostRules),
      ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
      expect(hostRules).toHaveBeenCalledWith({ permission }, bob);
    });

    it("keeps the host's denial of catalog entity deletion, for the suite's admins too", async () => {
      for (const user of [bob, alice]) {
        await expect(
          handler.decide({ permission: catalogEntityDelete }, user, hostRules),
        ).resolves.toEqual({ result: AuthorizeResult.DENY });
      }
    });

    it("applies the suite's restriction where the host allows", async () => {
      // erin administers the portal, not voice recording: no others' numbers for her
      await expect(
        handler.decide({ permission: catalogEntityDelete }, erin, hostRules),
      ).resolves.toEqual({
        ...hideOthersNumbers,
        conditions: {
          anyOf: [
            notARecordedNumber,
            {
              rule: 'IS_ENTITY_OWNER',
              resourceType: 'catalog-entity',
              params: {
                claims: ['user:default/erin', 'group:default/platform'],
              },
            },
          ],
        },
      });
    });

    it("ANDs the host's catalog read condition with the suite's", async () => {
      await expect(
        handler.decide({ permission: catalogEntityRead }, bob, hostRules),
      ).resolves.toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          allOf: [
            {
              not: {
                rule: 'IS_ENTITY_KIND',
                resourceType: 'catalog-entity',
                params: { kinds: ['API'] },
              },
            },
            hideOthersNumbers.conditions,
          ],
        },
      });
      // the suite's admins get the host's condition alone
      await expect(
        handler.decide({ permission: catalogEntityRead }, alice, hostRules),
      ).resolves.toEqual(
        await hostRules({ permission: catalogEntityRead }, alice),
      );
    });
  });

  describe('configuration', () => {
    it('reads admin groups from config, matching refs case- and shorthand-insensitively', async () => {
      const custom = VoiceRecordingPolicyHandler.fromConfig(
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
          new VoiceRecordingPolicyHandler({ adminGroups: ['group:default/'] }),
      ).toThrow(/voiceRecording\.adminGroups/);
    });
  });
});
