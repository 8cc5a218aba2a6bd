import {
  AccessRequestState,
  ACCESS_REQUEST_STATES,
  CASE_ACCESS_MODES,
  CASE_LABEL_MODES,
  CASE_RIGHTS,
  CASE_STATUSES,
  isLabelColour,
} from '@mvr/plugin-voice-recording-common';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';

const title = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max);

const colour = z
  .string()
  .trim()
  .refine(isLabelColour, { message: 'must be a colour #rrggbb, e.g. #d32f2f' });

export const labelSchema = z.object({ title: title(100), colour }).strict();

export const labelPatchSchema = z
  .object({ title: title(100).optional(), colour: colour.optional() })
  .strict();

/** A user or group entity ref, normalised to lower case `kind:namespace/name`. */
const entityRef = z
  .string()
  .trim()
  .transform((v, ctx) => {
    try {
      const ref = stringifyEntityRef(
        parseEntityRef(v, { defaultKind: 'user', defaultNamespace: 'default' }),
      ).toLowerCase();
      if (!/^(user|group):/.test(ref)) {
        ctx.addIssue({
          code: 'custom',
          message: `${v} is not a user or group`,
        });
        return z.NEVER;
      }
      return ref;
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not an entity ref` });
      return z.NEVER;
    }
  });

/** A user entity ref (`bob` → `user:default/bob`), normalised to lower case. */
const userRef = entityRef.superRefine((ref, ctx) => {
  // (not a string: the ref was refused already)
  if (typeof ref === 'string' && !ref.startsWith('user:'))
    ctx.addIssue({ code: 'custom', message: `${ref} is not a user` });
});

const setting = <M extends string>(modes: readonly [M, ...M[]]) =>
  z
    .object({
      mode: z.enum(modes),
      refs: z.array(entityRef).max(200).default([]),
    })
    .strict()
    .superRefine((s, ctx) => {
      if (s.mode === 'selected' && s.refs.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['refs'],
          message: 'name at least one user or group when the mode is selected',
        });
      if (s.mode !== 'selected' && s.refs.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['refs'],
          message: `must be empty when the mode is ${s.mode}`,
        });
    });

const accessSchema = z
  .object({
    list: setting(
      CASE_ACCESS_MODES as ['none', 'selected', 'everyone'],
    ).default({
      mode: 'none',
    }),
    playback: setting(
      CASE_ACCESS_MODES as ['none', 'selected', 'everyone'],
    ).default({
      mode: 'none',
    }),
    label: setting(CASE_LABEL_MODES as ['owner', 'selected']).default({
      mode: 'owner',
    }),
  })
  .strict();

const status = z.enum(CASE_STATUSES as ['open', 'closed']);

/** POST /cases: an existing label (`labelId`) or a new one (`label`), not both. */
export const caseSchema = z
  .object({
    title: title(200),
    description: z.string().trim().max(5000).default(''),
    status: status.default('open'),
    labelId: z.string().uuid().optional(),
    label: labelSchema.optional(),
    access: accessSchema.default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.labelId === !c.label)
      ctx.addIssue({
        code: 'custom',
        path: ['labelId'],
        message:
          'give an existing label (labelId) or a new one (label: title, colour), not both',
      });
  });

export const casePatchSchema = z
  .object({
    title: title(200).optional(),
    description: z.string().trim().max(5000).optional(),
    status: status.optional(),
    access: accessSchema.optional(),
  })
  .strict();

export const caseListQuerySchema = z
  .object({ status: status.optional() })
  .strict();

export const accessRequestSchema = z
  .object({
    caseId: z.string().uuid(),
    reason: z.string().trim().min(1, 'must not be empty').max(2000),
    /** Default: list and play back. */
    rights: z
      .array(z.enum(CASE_RIGHTS as ['list', 'playback', 'label']))
      .min(1)
      .default(['list', 'playback'])
      .transform(r => [...new Set(r)]),
    expiresAt: z.string().datetime({ offset: true }),
  })
  .strict();

export const decisionSchema = z
  .object({ comment: z.string().trim().max(2000).optional() })
  .strict();

export const rejectionSchema = z
  .object({
    comment: z.string().trim().min(1, 'is required to reject').max(2000),
  })
  .strict();

export const accessRequestListSchema = z
  .object({
    state: z
      .enum(
        ACCESS_REQUEST_STATES as [AccessRequestState, ...AccessRequestState[]],
      )
      .optional(),
    caseId: z.string().uuid().optional(),
    /** The requests of one user (the admins' requester filter). */
    requester: userRef.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export const myAccessRequestListSchema = z
  .object({
    state: z
      .enum(
        ACCESS_REQUEST_STATES as [AccessRequestState, ...AccessRequestState[]],
      )
      .optional(),
    /** `manager`: the requests whose approving manager the caller is. */
    as: z.enum(['requester', 'manager']).default('requester'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();
