import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  Conversation,
  RecordedNumber,
  RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION,
  RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
} from '@mvr/plugin-voice-recording-common';
import { z } from 'zod';

type IsNumberOwnerParams = { userRefs: string[] };

const isNumberOwnerParamsZod = z
  .object({ userRefs: z.array(z.string()) })
  .strict();

const isNumberOwnerParamsJsonSchema = {
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
};

/** Standard Schema (validation + JSON Schema) of IS_NUMBER_OWNER's params. */
const isNumberOwnerParamsSchema = {
  '~standard': {
    version: 1 as const,
    vendor: 'mvr',
    validate(value: unknown) {
      const r = isNumberOwnerParamsZod.safeParse(value);
      return r.success
        ? { value: r.data as IsNumberOwnerParams }
        : {
            issues: r.error.issues.map(i => ({
              message: i.message,
              path: i.path,
            })),
          };
    },
    jsonSchema: {
      input: () => isNumberOwnerParamsJsonSchema,
      output: () => isNumberOwnerParamsJsonSchema,
    },
    types: undefined as unknown as {
      input: IsNumberOwnerParams;
      output: IsNumberOwnerParams;
    },
  },
};

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
    userRefs.map(r => r.toLowerCase()).includes(resource.userRef.toLowerCase()),
  toQuery: ({ userRefs }): NumberQuery => ({
    property: 'userRef',
    values: userRefs.map(r => r.toLowerCase()),
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

// ---- conversations

/**
 * Query fragment a conversation permission rule translates to. The conversation
 * search store turns a `PermissionCriteria<ConversationQuery>` into a knex WHERE
 * clause; a later case rule adds one more property (e.g. `caseLabelIds`) OR-ed in.
 */
export type ConversationQuery = { property: 'userRef'; values: string[] };

/** Resource ref of a recorded conversation, for conditional permission decisions. */
export const voiceRecordingConversationResourceRef =
  createPermissionResourceRef<Conversation, ConversationQuery>().with({
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
  apply: (resource: Conversation, { userRefs }) =>
    userRefs.map(r => r.toLowerCase()).includes(resource.userRef.toLowerCase()),
  toQuery: ({ userRefs }): ConversationQuery => ({
    property: 'userRef',
    values: userRefs.map(r => r.toLowerCase()),
  }),
});

export const voiceRecordingConversationPermissionRules = {
  isConversationOwner,
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
