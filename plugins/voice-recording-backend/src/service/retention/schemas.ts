import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  formatRetentionPeriod,
  parseRetentionPeriod,
} from '@mvr/plugin-voice-recording-common';
import { z } from 'zod';

const groupRef = z
  .string({ invalid_type_error: 'must be text' })
  .trim()
  .min(1, 'required')
  .max(255)
  .transform((v, ctx) => {
    try {
      const ref = parseEntityRef(v.toLowerCase(), {
        defaultKind: 'group',
        defaultNamespace: 'default',
      });
      if (ref.kind !== 'group') throw new Error('not a group');
      return stringifyEntityRef(ref);
    } catch {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${v.slice(0, 80)}" is not a group name or reference`,
      });
      return z.NEVER;
    }
  });

export const retentionScopeSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('default') }).strict(),
    z
      .object({
        kind: z.literal('groups'),
        groupRefs: z
          .array(groupRef)
          .min(1, 'name at least one group')
          .max(50)
          .transform(a => [...new Set(a)]),
      })
      .strict(),
    z
      .object({
        kind: z.literal('numbers'),
        numberIds: z
          .array(z.string().trim().min(1).max(36))
          .min(1, 'name at least one recorded number')
          .max(500)
          .transform(a => [...new Set(a)]),
      })
      .strict(),
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union_discriminator'
        ? { message: 'kind must be default, groups or numbers' }
        : { message: ctx.defaultError },
  },
);

/** POST/PUT /retention/policies */
export const retentionPolicyInputSchema = z
  .object({
    name: z
      .string({
        required_error: 'required',
        invalid_type_error: 'must be text',
      })
      .trim()
      .min(1, 'required')
      .max(100, 'at most 100 characters'),
    period: z
      .string({
        required_error: 'required',
        invalid_type_error: 'must be text',
      })
      .transform((v, ctx) => {
        const r = parseRetentionPeriod(v);
        if (!r.ok) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: r.message });
          return z.NEVER;
        }
        return formatRetentionPeriod(r.period);
      }),
    scope: retentionScopeSchema,
  })
  .strict();

const page = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};

/** GET /retention/upcoming */
export const upcomingQuerySchema = z
  .object({
    days: z.coerce.number().int().min(0).max(3650).default(30),
    ...page,
  })
  .strict();

const isoDate = z
  .string()
  .trim()
  .refine(v => !Number.isNaN(Date.parse(v)), 'must be an ISO date or instant')
  .transform(v => new Date(v));

/** GET /disposals */
export const disposalsQuerySchema = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    number: z.string().trim().min(1).max(32).optional(),
    runId: z.string().trim().min(1).max(36).optional(),
    format: z.enum(['json', 'csv']).default('json'),
    ...page,
    limit: z.coerce.number().int().min(1).max(100_000).default(100),
  })
  .strict();

/** GET /disposals/runs */
export const runsQuerySchema = z.object(page).strict();

/** POST /disposals/dry-run */
export const dryRunSchema = z
  .object({ limit: z.coerce.number().int().min(1).max(5000).default(500) })
  .strict();
