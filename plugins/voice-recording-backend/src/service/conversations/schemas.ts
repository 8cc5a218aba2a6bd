import { z } from 'zod';

const iso = z.string().datetime({ offset: true });
const seconds = z.coerce.number().min(0);

/** Filters shared by GET /conversations (query) and POST /conversations/export (body). */
export const conversationFiltersSchema = z.object({
  from: iso.optional(),
  to: iso.optional(),
  phone: z.string().trim().min(1).max(64).optional(),
  userRef: z.string().trim().min(1).optional(),
  /** A user's name, display name, e-mail (substring) or entity ref: resolved in the catalog. */
  user: z.string().trim().min(1).max(200).optional(),
  /** A group's name or ref: the calls of its members and of its child groups' members. */
  group: z.string().trim().min(1).max(200).optional(),
  hasDtmf: z
    .union([z.boolean(), z.enum(['true', 'false'])], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .transform(v => v === true || v === 'true')
    .optional(),
  direction: z.enum(['incoming', 'outgoing']).optional(),
  minDuration: seconds.optional(),
  maxDuration: seconds.optional(),
  number: z.string().trim().min(1).optional(),
  state: z.enum(['recording', 'finished', 'failed']).optional(),
  /** The id of a label: the conversations carrying it. */
  label: z.string().uuid().optional(),
  /** The id of a case: the conversations carrying its label. */
  case: z.string().uuid().optional(),
  /** `any`, `none`, or an audio issue code (`no-media`, `undecodable-codec`, ...) */
  audioIssue: z
    .string()
    .trim()
    .max(40)
    .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, {
      message: 'must be any, none or an audio issue code such as no-media',
    })
    .optional(),
  /** The quality check's verdict: `ok`, `warning` or `failed`. */
  quality: z.enum(['ok', 'warning', 'failed']).optional(),
  /** Under a standing legal hold (true) or not (false): docs/legal-hold.md. */
  legalHold: z
    .union([z.boolean(), z.enum(['true', 'false'])], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .transform(v => v === true || v === 'true')
    .optional(),
});

export const conversationSearchSchema = conversationFiltersSchema.extend({
  sort: z
    .enum(['startedAt', 'durationMs', 'number', 'otherParty'])
    .default('startedAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).optional(),
});

export const conversationExportSchema = z.union([
  z
    .object({ ids: z.array(z.string().uuid()).min(1).max(1000) })
    .strict(),
  conversationFiltersSchema.strict(),
]);

export const audioQuerySchema = z.object({
  format: z.enum(['ogg', 'wav']).optional(),
});

/** POST /conversations/:id/playback: the format the player plays. */
export const playbackStartSchema = z
  .object({
    format: z.enum(['ogg', 'wav']),
  })
  .strict();

export const waveformQuerySchema = z.object({
  points: z.coerce.number().int().min(10).max(10000).default(1000),
});
