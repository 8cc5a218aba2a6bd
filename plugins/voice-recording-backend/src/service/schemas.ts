import { TimeSlot, Weekday } from '@mvr/plugin-voice-recording-common';
import { z } from 'zod';

const time = z.string().regex(/^\d{2}:\d{2}$/, 'expected HH:mm');

export const slotSchema = z
  .object({
    id: z.string().optional(),
    weekdays: z
      .array(
        z
          .number()
          .int()
          .min(1)
          .max(7)
          .transform(d => d as Weekday),
      )
      .min(1, 'at least one weekday'),
    start: time,
    end: time,
  })
  .strict() as z.ZodType<TimeSlot, z.ZodTypeDef, unknown>;

export const settingsPatchSchema = z
  .object({
    beep: z.boolean(),
    smsOnStatusChange: z.boolean(),
    statusMode: z.enum(['auto', 'manual']),
    activeStatus: z.enum(['professional', 'private']),
    selfManaged: z.boolean(),
    simultaneousCalls: z.boolean(),
    timeZone: z.string().min(1),
  })
  .partial()
  .strict();

export const createNumberSchema = z
  .object({
    number: z.string().min(1),
    userRef: z.string().min(1),
    mvrActive: z.boolean().optional(),
    fmu: z.boolean().optional(),
    settings: settingsPatchSchema.optional(),
    planningModelId: z.string().min(1).optional(),
    slots: z.array(slotSchema).min(1, 'at least one slot').optional(),
  })
  .strict();

export const updateNumberSchema = z
  .object({
    userRef: z.string().min(1).optional(),
    mvrActive: z.boolean().optional(),
    fmu: z.boolean().optional(),
    settings: settingsPatchSchema.optional(),
  })
  .strict();

const bool = z.enum(['true', 'false']).transform(v => v === 'true');

export const listNumbersQuerySchema = z.object({
  q: z.string().optional(),
  userRef: z.string().optional(),
  status: z
    .enum(['recording', 'private', 'outside-schedule', 'inactive'])
    .optional(),
  mvrActive: bool.optional(),
  targetType: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  /** `csv`: the filtered trail as text/csv (up to 100,000 rows, limit/offset ignored). */
  format: z.enum(['json', 'csv']).optional(),
});

export const applyPlanningModelSchema = z
  .object({ planningModelId: z.string().min(1) })
  .strict();

export const professionalModeSchema = z
  .object({ enabled: z.boolean() })
  .strict();

export const featureCodeSchema = z
  .object({
    number: z.string().min(1),
    code: z.literal('#135#', {
      errorMap: () => ({ message: 'the only feature code is "#135#"' }),
    }),
  })
  .strict();

export const policyDecisionQuerySchema = z.object({
  number: z.string().min(1),
  otherParty: z.string().optional(),
  at: z.string().datetime({ offset: true }).optional(),
});

export const planningModelSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    slots: z
      .array(slotSchema)
      .min(1, 'a planning model needs at least one slot'),
  })
  .strict();

export const bulkImportQuerySchema = z.object({
  dryRun: bool.optional(),
});

export const auditQuerySchema = z.object({
  actor: z.string().optional(),
  action: z.string().optional(),
  target: z.string().optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  targetType: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  /** `csv`: the filtered trail as text/csv (up to 100,000 rows, limit/offset ignored). */
  format: z.enum(['json', 'csv']).optional(),
});
