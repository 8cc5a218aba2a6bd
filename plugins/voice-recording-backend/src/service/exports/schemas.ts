import { z } from 'zod';
import { conversationFiltersSchema } from '../conversations/schemas';

const iso = z.string().datetime({ offset: true });

/** POST /exports */
export const exportCreateSchema = z
  .object({
    scope: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('case'), caseId: z.string().uuid() }).strict(),
      z
        .object({
          kind: z.literal('search'),
          // the query-string filters of GET /conversations, as the page has them
          filters: conversationFiltersSchema.strict(),
        })
        .strict(),
      z
        .object({
          kind: z.literal('number'),
          numberId: z.string().trim().min(1).max(100),
          from: iso,
          to: iso,
        })
        .strict(),
    ]),
    includeMp3: z.boolean().default(false),
  })
  .strict();

/** GET /exports */
export const exportListQuerySchema = z.object({
  /** `all`: every user's jobs (compliance managers); default: the caller's own. */
  requestedBy: z.enum(['me', 'all']).default('me'),
});
