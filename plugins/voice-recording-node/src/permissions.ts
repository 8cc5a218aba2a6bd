import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  Case,
  CaseAccessFacts,
  CaseGrant,
  caseGivesRight,
  Conversation,
  RecordedNumber,
  RESOURCE_TYPE_VOICE_RECORDING_CASE,
  RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION,
  RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
} from '@mvr/plugin-voice-recording-common';
import { z } from 'zod';

/** A Standard Schema (validation + JSON Schema) for rule params, from zod. */
function paramsSchemaOf<T>(
  zod: z.ZodType<T>,
  jsonSchema: Record<string, unknown>,
) {
  return {
    '~standard': {
      version: 1 as const,
      vendor: 'mvr',
      validate(value: unknown) {
        const r = zod.safeParse(value);
        return r.success
          ? { value: r.data as T }
          : {
              issues: r.error.issues.map(i => ({
                message: i.message,
                path: i.path,
              })),
            };
      },
      jsonSchema: { input: () => jsonSchema, output: () => jsonSchema },
      types: undefined as unknown as { input: T; output: T },
    },
  };
}

/** Entity refs compared as the catalog does: case-insensitive. */
const lowerCased = (refs: string[]) => refs.map(r => r.toLowerCase());
const includesRef = (refs: string[], ref: string) =>
  lowerCased(refs).includes(ref.toLowerCase());

type IsNumberOwnerParams = { userRefs: string[] };

/** Standard Schema (validation + JSON Schema) of IS_NUMBER_OWNER's params. */
const isNumberOwnerParamsSchema = paramsSchemaOf<IsNumberOwnerParams>(
  z.object({ userRefs: z.array(z.string()) }).strict(),
  {
    type: 'object',
    properties: {
      userRefs: {
        type: 'array',
        items: { type: 'string' },
        description:
          'User entity refs, e.g. user:default/bob (usually the caller)',
      },
    },
    required: ['userRefs'],
    additionalProperties: false,
  },
);

/**
 * Query fragment a number permission rule translates to. The numbers store turns a
 * `PermissionCriteria<NumberQuery>` into a knex WHERE clause (see `applyNumberCriteria`).
 */
export type NumberQuery =
  | { property: 'userRef'; values: string[] }
  | { property: 'selfManaged'; value: boolean };

/** Resource ref of a recorded number, for conditional permission decisions. */
export const voiceRecordingNumberResourceRef = createPermissionResourceRef<
  RecordedNumber,
  NumberQuery
>().with({
  pluginId: 'voice-recording',
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
});

/** Allows the numbers owned by one of the given user entity refs. */
export const isNumberOwner = createPermissionRule<
  typeof voiceRecordingNumberResourceRef,
  IsNumberOwnerParams
>({
  name: 'IS_NUMBER_OWNER',
  description: 'Allow recorded numbers that belong to one of the given users',
  resourceRef: voiceRecordingNumberResourceRef,
  paramsSchema: isNumberOwnerParamsSchema,
  apply: (resource: RecordedNumber, { userRefs }) =>
    includesRef(userRefs, resource.userRef),
  toQuery: ({ userRefs }): NumberQuery => ({
    property: 'userRef',
    values: lowerCased(userRefs),
  }),
});

/** Allows the numbers whose user may manage professional mode themselves. */
export const isSelfManaged = createPermissionRule({
  name: 'IS_SELF_MANAGED',
  description: 'Allow recorded numbers that are self-managed by their user',
  resourceRef: voiceRecordingNumberResourceRef,
  apply: (resource: RecordedNumber) => resource.settings.selfManaged,
  toQuery: (): NumberQuery => ({ property: 'selfManaged', value: true }),
});

export const voiceRecordingNumberPermissionRules = {
  isNumberOwner,
  isSelfManaged,
};

const { conditions, createConditionalDecision } = createConditionExports({
  resourceRef: voiceRecordingNumberResourceRef,
  rules: voiceRecordingNumberPermissionRules,
});

/**
 * Condition factories for policies, e.g.
 * `voiceRecordingNumberConditions.isNumberOwner({ userRefs: [user.identity.userEntityRef] })`.
 */
export const voiceRecordingNumberConditions = conditions;

/** Wraps conditions into a conditional decision for a number permission. */
export const createVoiceRecordingNumberConditionalDecision =
  createConditionalDecision;

// ---- conversations and cases

/** JSON Schema of a `claims` param. */
const claimsJsonSchema = {
  type: 'array',
  items: { type: 'string' },
  description:
    "The caller's user ref and ownership refs (groups), e.g. user:default/bob",
};

type HasCaseRightParams = { claims: string[]; right: 'list' | 'playback' };
const hasCaseRightParamsSchema = paramsSchemaOf<HasCaseRightParams>(
  z
    .object({
      claims: z.array(z.string()),
      right: z.enum(['list', 'playback']),
    })
    .strict(),
  {
    type: 'object',
    properties: {
      claims: claimsJsonSchema,
      right: { type: 'string', enum: ['list', 'playback'] },
    },
    required: ['claims', 'right'],
    additionalProperties: false,
  },
);

type ClaimsParams = { claims: string[] };
const claimsParamsSchema = paramsSchemaOf<ClaimsParams>(
  z.object({ claims: z.array(z.string()) }).strict(),
  {
    type: 'object',
    properties: {
      claims: claimsJsonSchema,
    },
    required: ['claims'],
    additionalProperties: false,
  },
);

/**
 * Query fragment a conversation permission rule translates to. The conversation
 * search store turns a `PermissionCriteria<ConversationQuery>` into a knex WHERE
 * clause (`applyConversationCriteria`): `userRef` the conversation's user, `caseRight`
 * "carries the label of an open case that gives `right` to one of `claims`" (the case's
 * settings and approved, unexpired, unrevoked access requests, at query time).
 */
export type ConversationQuery =
  | { property: 'userRef'; values: string[] }
  | { property: 'caseRight'; right: 'list' | 'playback'; claims: string[] };

/**
 * A conversation as the permission rules see it: with the access facts of the cases
 * whose label it carries (loaded with it for in-memory decisions).
 */
export type ConversationResource = Conversation & {
  caseAccess?: CaseAccessFacts[];
};

/** Resource ref of a recorded conversation, for conditional permission decisions. */
export const voiceRecordingConversationResourceRef =
  createPermissionResourceRef<ConversationResource, ConversationQuery>().with({
    pluginId: 'voice-recording',
    resourceType: RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION,
  });

/** Allows conversations recorded on a number of one of the given users. */
export const isConversationOwner = createPermissionRule<
  typeof voiceRecordingConversationResourceRef,
  IsNumberOwnerParams
>({
  name: 'IS_CONVERSATION_OWNER',
  description:
    'Allow conversations recorded on a number of one of the given users',
  resourceRef: voiceRecordingConversationResourceRef,
  paramsSchema: isNumberOwnerParamsSchema,
  apply: (resource: ConversationResource, { userRefs }) =>
    includesRef(userRefs, resource.userRef),
  toQuery: ({ userRefs }): ConversationQuery => ({
    property: 'userRef',
    values: lowerCased(userRefs),
  }),
});

/**
 * Allows conversations carrying the label of an open case that gives the right (`list`
 * or `playback`) to one of the claims: its owner, its access setting, or an approved,
 * unexpired, unrevoked access request (see `caseGivesRight`).
 */
export const hasCaseRight = createPermissionRule<
  typeof voiceRecordingConversationResourceRef,
  HasCaseRightParams
>({
  name: 'HAS_CASE_RIGHT',
  description:
    'Allow conversations of cases whose settings or approved access requests give the right to one of the claims',
  resourceRef: voiceRecordingConversationResourceRef,
  paramsSchema: hasCaseRightParamsSchema,
  apply: (resource: ConversationResource, { claims, right }) =>
    (resource.caseAccess ?? []).some(f =>
      caseGivesRight(f, right, claims, new Date()),
    ),
  toQuery: ({ claims, right }): ConversationQuery => ({
    property: 'caseRight',
    right,
    claims: lowerCased(claims),
  }),
});

export const voiceRecordingConversationPermissionRules = {
  isConversationOwner,
  hasCaseRight,
};

const conversationExports = createConditionExports({
  resourceRef: voiceRecordingConversationResourceRef,
  rules: voiceRecordingConversationPermissionRules,
});

/**
 * Condition factories for policies, e.g.
 * `voiceRecordingConversationConditions.isConversationOwner({ userRefs: [...] })`.
 */
export const voiceRecordingConversationConditions =
  conversationExports.conditions;

/** Wraps conditions into a conditional decision for a conversation permission. */
export const createVoiceRecordingConversationConditionalDecision =
  conversationExports.createConditionalDecision;

/**
 * Query fragment a case permission rule translates to (`applyCaseCriteria` of the
 * backend): `owner` the case's owner, `labelRight` "gives the label right to one of
 * `claims`" (its label setting or an approved, unexpired request).
 */
export type CaseQuery =
  | { property: 'owner'; values: string[] }
  | { property: 'labelRight'; claims: string[] };

/** A case as the permission rules see it: with its approved access requests. */
export type CaseResource = Case & { grants?: CaseGrant[] };

/** Resource ref of a case, for conditional permission decisions. */
export const voiceRecordingCaseResourceRef = createPermissionResourceRef<
  CaseResource,
  CaseQuery
>().with({
  pluginId: 'voice-recording',
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_CASE,
});

const factsOf = (c: CaseResource): CaseAccessFacts => ({
  caseId: c.id,
  status: c.status,
  ownerRef: c.ownerRef,
  access: c.access,
  grants: c.grants ?? [],
});

/** Allows the cases owned by one of the claims. */
export const isCaseOwner = createPermissionRule<
  typeof voiceRecordingCaseResourceRef,
  ClaimsParams
>({
  name: 'IS_CASE_OWNER',
  description: 'Allow cases owned by one of the claims',
  resourceRef: voiceRecordingCaseResourceRef,
  paramsSchema: claimsParamsSchema,
  apply: (resource: CaseResource, { claims }) =>
    includesRef(claims, resource.ownerRef),
  toQuery: ({ claims }): CaseQuery => ({
    property: 'owner',
    values: lowerCased(claims),
  }),
});

/** Allows the open cases whose label setting or approved requests give one of the claims the label right. */
export const hasCaseLabelRight = createPermissionRule<
  typeof voiceRecordingCaseResourceRef,
  ClaimsParams
>({
  name: 'HAS_CASE_LABEL_RIGHT',
  description:
    'Allow open cases whose label setting or approved access requests give one of the claims the label right',
  resourceRef: voiceRecordingCaseResourceRef,
  paramsSchema: claimsParamsSchema,
  apply: (resource: CaseResource, { claims }) =>
    caseGivesRight(factsOf(resource), 'label', claims, new Date()),
  toQuery: ({ claims }): CaseQuery => ({
    property: 'labelRight',
    claims: lowerCased(claims),
  }),
});

export const voiceRecordingCasePermissionRules = {
  isCaseOwner,
  hasCaseLabelRight,
};

const caseExports = createConditionExports({
  resourceRef: voiceRecordingCaseResourceRef,
  rules: voiceRecordingCasePermissionRules,
});

/** Condition factories for case permissions (label changes). */
export const voiceRecordingCaseConditions = caseExports.conditions;

/** Wraps conditions into a conditional decision for a case permission. */
export const createVoiceRecordingCaseConditionalDecision =
  caseExports.createConditionalDecision;
