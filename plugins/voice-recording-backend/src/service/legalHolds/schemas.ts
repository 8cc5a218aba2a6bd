import { z } from 'zod';

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max);

const uuid = z
  .string()
  .trim()
  .regex(/^[0-9a-f-]{36}$/i, 'must be a case id');

/** POST /legal-holds */
export const legalHoldSchema = z
  .object({
    caseId: uuid,
    reason: text(2000),
    /** The matter's reference: court, regulator, internal ticket. */
    reference: text(200),
  })
  .strict();

/** GET /legal-holds */
export const legalHoldListSchema = z
  .object({
    state: z.enum(['active', 'release-requested', 'released']).optional(),
    caseId: uuid.optional(),
  })
  .strict();

/** POST /legal-holds/:id/release-request, /release-reject */
export const releaseReasonSchema = z.object({ reason: text(2000) }).strict();

/** POST /legal-holds/:id/release-approve, /release-cancel */
export const releaseCommentSchema = z
  .object({ comment: z.string().trim().max(2000).optional() })
  .strict();
