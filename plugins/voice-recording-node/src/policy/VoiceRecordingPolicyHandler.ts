import { RootConfigService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  isPermission,
  isResourcePermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  voiceRecordingAccessRequestCreatePermission,
  voiceRecordingCaseLabelPermission,
  voiceRecordingCaseReadPermission,
  voiceRecordingConversationPlayPermission,
  voiceRecordingConversationReadPermission,
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingPermissions,
  voiceRecordingPlanningModelReadPermission,
} from '@mvr/plugin-voice-recording-common';
import {
  createVoiceRecordingCaseConditionalDecision,
  createVoiceRecordingConversationConditionalDecision,
  voiceRecordingCaseConditions,
  createVoiceRecordingNumberConditionalDecision,
  voiceRecordingConversationConditions,
  voiceRecordingNumberConditions,
} from '../permissions';
import { allOfDecisions } from './allOfDecisions';

/** `spec.type` of the catalog entities (kind `RecordedNumber`) that represent recorded numbers. */
export const RECORDED_NUMBER_ENTITY_TYPE = 'mobile-number';

/** Admin groups used when `voiceRecording.adminGroups` is not configured. */
export const DEFAULT_VOICE_RECORDING_ADMIN_GROUPS = [
  'group:default/compliance',
];

const ADMIN_GROUPS_KEY = 'voiceRecording.adminGroups';
const VOICE_RECORDING_PERMISSION_PREFIX = 'voice-recording.';
const knownVoiceRecordingPermissions = new Set(
  voiceRecordingPermissions.map(p => p.name),
);

/**
 * The host policy's own decision, asked by {@link VoiceRecordingPolicyHandler.decide}
 * for every permission that is not a voice-recording one.
 */
export type HostPolicyDecide = (
  request: PolicyQuery,
  user?: PolicyQueryUser,
) => Promise<PolicyDecision> | PolicyDecision;

export interface VoiceRecordingPolicyHandlerOptions {
  /**
   * Entity refs (groups, or users) whose members administer voice recording;
   * default {@link DEFAULT_VOICE_RECORDING_ADMIN_GROUPS}.
   */
  adminGroups?: string[];
}

/** Is this one of the suite's permissions (`voice-recording.*`)? */
export function isVoiceRecordingPermission(permission: Permission): boolean {
  return (
    knownVoiceRecordingPermissions.has(permission.name) ||
    permission.name.startsWith(VOICE_RECORDING_PERMISSION_PREFIX)
  );
}

/** Is this a permission on a catalog entity (read, refresh, delete, ...)? */
export function isCatalogEntityPermission(permission: Permission): boolean {
  return isResourcePermission(permission, RESOURCE_TYPE_CATALOG_ENTITY);
}

function normalizeRef(ref: string, defaultKind: string): string {
  return stringifyEntityRef(
    parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
  ).toLocaleLowerCase('en-US');
}

/**
 * The voice-recording suite's permission decisions, as a building block of a
 * portal's own permission policy (or of the suite's ready-made policy module).
 *
 * - `voice-recording.*` permissions: the suite decides. Members of the admin
 *   groups are allowed everything; standard users read their own recorded numbers
 *   and their conversations (conditional IS_NUMBER_OWNER / IS_CONVERSATION_OWNER),
 *   list and play back the conversations of cases that give them the right
 *   (HAS_CASE_RIGHT), change the label of cases they own or have the label right on
 *   (IS_CASE_OWNER / HAS_CASE_LABEL_RIGHT), switch professional mode of their own
 *   self-managed numbers, read planning models and cases, request access to cases;
 *   everything else is denied, including voice-recording permissions this
 *   version does not know; without a user, everything is denied.
 * - Catalog entity permissions (`catalog.entity.read`, refresh, delete, ...): the
 *   suite's restriction only, "not another user's recorded number": ALLOW (no
 *   restriction) for admins, otherwise a catalog CONDITIONAL decision that lets
 *   through every entity that is not a recorded number, and the recorded numbers
 *   the user owns. It must be combined with the host's own decision with
 *   {@link allOfDecisions} (or use {@link VoiceRecordingPolicyHandler.decide},
 *   which does it): returned alone it would allow every other entity.
 * - Every other permission: `undefined`, "not mine": the host decides.
 */
export class VoiceRecordingPolicyHandler {
  private readonly adminRefs: Set<string>;

  /** Reads `voiceRecording.adminGroups` (default `group:default/compliance`). */
  static fromConfig(config: RootConfigService): VoiceRecordingPolicyHandler {
    return new VoiceRecordingPolicyHandler({
      adminGroups: config.getOptionalStringArray(ADMIN_GROUPS_KEY),
    });
  }

  constructor(options: VoiceRecordingPolicyHandlerOptions = {}) {
    const adminGroups =
      options.adminGroups ?? DEFAULT_VOICE_RECORDING_ADMIN_GROUPS;
    this.adminRefs = new Set(
      adminGroups.map(ref => {
        try {
          return normalizeRef(ref, 'group');
        } catch (error) {
          throw new Error(
            `Invalid entity ref '${ref}' in ${ADMIN_GROUPS_KEY}: ${
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

  /**
   * The suite's decision for a voice-recording permission, its restriction for a
   * catalog entity permission (to be combined with the host's decision with
   * {@link allOfDecisions}), `undefined` for every other permission.
   */
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision | undefined> {
    const { permission } = request;
    if (isVoiceRecordingPermission(permission)) {
      return this.voiceRecordingDecision(permission, user);
    }
    if (isCatalogEntityPermission(permission)) {
      return this.catalogEntityRestriction(user);
    }
    return undefined;
  }

  /**
   * The whole composition in one call: the suite's decision for voice-recording
   * permissions (the host is not asked), the host's decision AND the suite's
   * restriction for catalog entity permissions, the host's decision for every other
   * permission.
   */
  async decide(
    request: PolicyQuery,
    user: PolicyQueryUser | undefined,
    host: HostPolicyDecide,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (isVoiceRecordingPermission(permission)) {
      return this.voiceRecordingDecision(permission, user);
    }
    const hostDecision = await host(request, user);
    if (isCatalogEntityPermission(permission)) {
      return allOfDecisions(hostDecision, this.catalogEntityRestriction(user));
    }
    return hostDecision;
  }

  private voiceRecordingDecision(
    permission: Permission,
    user: PolicyQueryUser | undefined,
  ): PolicyDecision {
    const identity = userIdentity(user);
    if (!identity) {
      return { result: AuthorizeResult.DENY };
    }
    if (this.isAdmin(identity)) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      isPermission(permission, voiceRecordingPlanningModelReadPermission) ||
      isPermission(permission, voiceRecordingCaseReadPermission) ||
      isPermission(permission, voiceRecordingAccessRequestCreatePermission)
    ) {
      return { result: AuthorizeResult.ALLOW };
    }
    const userRefs = identity.claims;
    // their own calls, and those of cases that give them the right (case settings,
    // approved access requests: evaluated in SQL at query time)
    if (isPermission(permission, voiceRecordingConversationReadPermission)) {
      return createVoiceRecordingConversationConditionalDecision(permission, {
        anyOf: [
          voiceRecordingConversationConditions.isConversationOwner({
            userRefs,
          }),
          voiceRecordingConversationConditions.hasCaseRight({
            claims: userRefs,
            right: 'list',
          }),
        ],
      });
    }
    if (isPermission(permission, voiceRecordingConversationPlayPermission)) {
      return createVoiceRecordingConversationConditionalDecision(permission, {
        anyOf: [
          voiceRecordingConversationConditions.isConversationOwner({
            userRefs,
          }),
          voiceRecordingConversationConditions.hasCaseRight({
            claims: userRefs,
            right: 'playback',
          }),
        ],
      });
    }
    if (isPermission(permission, voiceRecordingCaseLabelPermission)) {
      return createVoiceRecordingCaseConditionalDecision(permission, {
        anyOf: [
          voiceRecordingCaseConditions.isCaseOwner({ claims: userRefs }),
          voiceRecordingCaseConditions.hasCaseLabelRight({ claims: userRefs }),
        ],
      });
    }
    const isOwner = voiceRecordingNumberConditions.isNumberOwner({ userRefs });
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
   * Recorded-number entities (spec.type mobile-number) only for their owner and the
   * admins, in the catalog's own SQL filter (HAS_SPEC / IS_ENTITY_OWNER rules of the
   * catalog; IS_ENTITY_OWNER matches the number's own `ownedBy` relation, which the
   * catalog module emits on the number's side only). With the same condition on
   * refresh and delete, a refresh of another person's number is refused (403)
   * exactly like one of an entity that does not exist. Without a user, no recorded
   * number at all.
   */
  private catalogEntityRestriction(
    user: PolicyQueryUser | undefined,
  ): PolicyDecision {
    const notARecordedNumber = {
      not: {
        rule: 'HAS_SPEC',
        resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
        params: { key: 'type', value: RECORDED_NUMBER_ENTITY_TYPE },
      },
    };
    const identity = userIdentity(user);
    if (identity && this.isAdmin(identity)) {
      return { result: AuthorizeResult.ALLOW };
    }
    return {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
      conditions: identity
        ? {
            anyOf: [
              notARecordedNumber,
              {
                rule: 'IS_ENTITY_OWNER',
                resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
                params: { claims: identity.claims },
              },
            ],
          }
        : notARecordedNumber,
    };
  }

  private isAdmin(identity: UserIdentity): boolean {
    return identity.ownershipRefs.some(ref => this.adminRefs.has(ref));
  }
}

/**
 * The suite's permission decisions for a portal's own policy; reads
 * `voiceRecording.adminGroups`. See {@link VoiceRecordingPolicyHandler}.
 */
export function createVoiceRecordingPolicyHandler(
  config: RootConfigService,
): VoiceRecordingPolicyHandler {
  return VoiceRecordingPolicyHandler.fromConfig(config);
}

type UserIdentity = {
  userEntityRef: string;
  ownershipRefs: string[];
  /** The user's ref and ownership refs, without duplicates. */
  claims: string[];
};

function userIdentity(
  user: PolicyQueryUser | undefined,
): UserIdentity | undefined {
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
  const claims = [userEntityRef, ...ownershipRefs].filter(
    (ref, index, all) => all.indexOf(ref) === index,
  );
  return { userEntityRef, ownershipRefs, claims };
}
