import { Config } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AuthorizeResult,
  isPermission,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  createVoiceRecordingConversationConditionalDecision,
  createVoiceRecordingNumberConditionalDecision,
  voiceRecordingConversationConditions,
  voiceRecordingNumberConditions,
} from '@mvr/plugin-voice-recording-node';
import {
  voiceRecordingConversationReadPermission,
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingPermissions,
  voiceRecordingPlanningModelReadPermission,
} from '@mvr/plugin-voice-recording-common';

/** spec.type of the catalog entities (kind RecordedNumber) that represent recorded numbers. */
export const MOBILE_NUMBER_ENTITY_TYPE = 'mobile-number';

/** Admin groups used when `voiceRecording.adminGroups` is not configured. */
export const DEFAULT_VOICE_RECORDING_ADMIN_GROUPS = [
  'group:default/compliance',
];

const VOICE_RECORDING_PERMISSION_PREFIX = 'voice-recording.';
const knownVoiceRecordingPermissions = new Set(
  voiceRecordingPermissions.map(p => p.name),
);

function normalizeRef(ref: string, defaultKind: string): string {
  return stringifyEntityRef(
    parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
  ).toLocaleLowerCase('en-US');
}

export interface VoiceRecordingPermissionPolicyOptions {
  /** Entity refs (groups, or users) whose members administer voice recording. */
  adminGroups: string[];
}

/**
 * Permission policy of the Mobile Voice Recording portal.
 *
 * - Members of `voiceRecording.adminGroups` (matched against the ownership refs of
 *   the signed-in user) are allowed everything.
 * - Standard users: read their own recorded numbers (conditional IS_NUMBER_OWNER),
 *   switch professional mode of their own self-managed numbers (IS_NUMBER_OWNER and
 *   IS_SELF_MANAGED), read planning models, search/view/play back the conversations
 *   of their own numbers (conditional IS_CONVERSATION_OWNER); every other voice-recording permission
 *   is denied, including voice-recording permissions this policy does not know yet.
 * - Catalog entity permissions (read, refresh, delete, ...): allowed, except on
 *   recorded-number entities, which only their owner and the admins may read or act on.
 * - Other permissions of other plugins (catalog locations, notifications, ...) are
 *   allowed.
 *
 * Service-to-service calls never reach a policy: Backstage allows them (restricted
 * by `accessRestrictions` of external access).
 */
export class VoiceRecordingPermissionPolicy implements PermissionPolicy {
  private readonly adminRefs: Set<string>;

  static fromConfig(config: Config): VoiceRecordingPermissionPolicy {
    const key = 'voiceRecording.adminGroups';
    const adminGroups =
      config.getOptionalStringArray(key) ??
      DEFAULT_VOICE_RECORDING_ADMIN_GROUPS;
    return new VoiceRecordingPermissionPolicy({ adminGroups });
  }

  constructor(options: VoiceRecordingPermissionPolicyOptions) {
    this.adminRefs = new Set(
      options.adminGroups.map(ref => {
        try {
          return normalizeRef(ref, 'group');
        } catch (error) {
          throw new Error(
            `Invalid entity ref '${ref}' in voiceRecording.adminGroups: ${
              (error as Error).message
            }`,
          );
        }
      }),
    );
  }

  /** The normalised admin entity refs, e.g. `group:default/compliance`. */
  get adminEntityRefs(): string[] {
    return [...this.adminRefs];
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const isVoiceRecording =
      knownVoiceRecordingPermissions.has(permission.name) ||
      permission.name.startsWith(VOICE_RECORDING_PERMISSION_PREFIX);
    if (!isVoiceRecording) {
      if (isResourcePermission(permission, RESOURCE_TYPE_CATALOG_ENTITY)) {
        return this.catalogEntityAccess(user);
      }
      return { result: AuthorizeResult.ALLOW };
    }

    const identity = userIdentity(user);
    if (!identity) {
      return { result: AuthorizeResult.DENY };
    }
    if (identity.ownershipRefs.some(ref => this.adminRefs.has(ref))) {
      return { result: AuthorizeResult.ALLOW };
    }

    if (isPermission(permission, voiceRecordingPlanningModelReadPermission)) {
      return { result: AuthorizeResult.ALLOW };
    }

    const userRefs = [identity.userEntityRef, ...identity.ownershipRefs].filter(
      (ref, index, all) => all.indexOf(ref) === index,
    );
    const isOwner = voiceRecordingNumberConditions.isNumberOwner({ userRefs });
    if (isPermission(permission, voiceRecordingConversationReadPermission)) {
      return createVoiceRecordingConversationConditionalDecision(
        permission,
        voiceRecordingConversationConditions.isConversationOwner({ userRefs }),
      );
    }
    if (isPermission(permission, voiceRecordingNumberReadPermission)) {
      return createVoiceRecordingNumberConditionalDecision(permission, isOwner);
    }
    if (isPermission(permission, voiceRecordingNumberSelfManagePermission)) {
      return createVoiceRecordingNumberConditionalDecision(permission, {
        allOf: [isOwner, voiceRecordingNumberConditions.isSelfManaged()],
      });
    }
    return { result: AuthorizeResult.DENY };
  }

  /**
   * Catalog entities are readable (and refreshable, deletable, ...) by everybody,
   * except recorded-number entities (spec.type mobile-number): those only by their
   * owner and by admins, in the catalog's own SQL filter (HAS_SPEC / IS_ENTITY_OWNER
   * rules of the catalog; IS_ENTITY_OWNER matches the number's own `ownedBy`
   * relation, which the catalog module emits on the number's side only). With the
   * same condition on refresh and delete, a refresh of another person's number is
   * refused (403) exactly like one of an entity that does not exist, instead of
   * succeeding and so telling that the number is recorded.
   */
  private catalogEntityAccess(user?: PolicyQueryUser): PolicyDecision {
    const identity = userIdentity(user);
    if (!identity) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (identity.ownershipRefs.some(ref => this.adminRefs.has(ref))) {
      return { result: AuthorizeResult.ALLOW };
    }
    const claims = [identity.userEntityRef, ...identity.ownershipRefs].filter(
      (ref, index, all) => all.indexOf(ref) === index,
    );
    return {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
      conditions: {
        anyOf: [
          {
            not: {
              rule: 'HAS_SPEC',
              resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
              params: { key: 'type', value: MOBILE_NUMBER_ENTITY_TYPE },
            },
          },
          {
            rule: 'IS_ENTITY_OWNER',
            resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
            params: { claims },
          },
        ],
      },
    };
  }
}

function userIdentity(
  user: PolicyQueryUser | undefined,
): { userEntityRef: string; ownershipRefs: string[] } | undefined {
  if (!user) {
    return undefined;
  }
  const principal = user.credentials?.principal as
    | { type?: string; userEntityRef?: string }
    | undefined;
  const rawUserRef = user.info?.userEntityRef ?? principal?.userEntityRef;
  if (!rawUserRef) {
    return undefined;
  }
  const userEntityRef = normalizeRef(rawUserRef, 'user');
  const ownershipRefs = (user.info?.ownershipEntityRefs ?? [userEntityRef]).map(
    ref => ref.toLocaleLowerCase('en-US'),
  );
  return { userEntityRef, ownershipRefs };
}
