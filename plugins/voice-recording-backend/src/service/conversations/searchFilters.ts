import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { normalizePhoneNumber } from '@mvr/plugin-voice-recording-common';
import { z } from 'zod';
import {
  ConversationSearchFilters,
  phoneSearchDigits,
} from '../../database/ConversationSearchStore';
import { PeopleResolver } from './PeopleResolver';
import { conversationFiltersSchema } from './schemas';

/**
 * The search filters of GET /conversations (validated query or body) as the store takes
 * them: numbers normalised, the `user` and `group` filters resolved through the catalog
 * (both given: the calls of the users that match both). Shared by the search, the ZIP
 * export and the regulator export (which resolves them once, when the job is created).
 */
export async function resolveSearchFilters(
  q: z.infer<typeof conversationFiltersSchema>,
  deps: {
    people: Pick<PeopleResolver, 'users' | 'groupMembers'>;
    defaultCountry: string;
    credentials: BackstageCredentials;
  },
): Promise<ConversationSearchFilters> {
  let number: string | undefined;
  if (q.number) {
    const n = normalizePhoneNumber(q.number, deps.defaultCountry);
    if (!n.ok) throw new InputError(`number: ${n.error}`);
    number = n.e164;
  }
  let phoneDigits: string | undefined;
  let phoneExact = false;
  if (q.phone) {
    const n = normalizePhoneNumber(q.phone, deps.defaultCountry);
    phoneExact = n.ok;
    phoneDigits = phoneSearchDigits(q.phone, n.ok ? n.e164 : undefined);
    if (!phoneDigits) throw new InputError('phone: must contain digits');
  }
  if (q.from && q.to && q.from >= q.to)
    throw new InputError('to: must be after from');
  if (
    q.minDuration !== undefined &&
    q.maxDuration !== undefined &&
    q.minDuration > q.maxDuration
  )
    throw new InputError('maxDuration: must not be less than minDuration');
  let userRefs: string[] | undefined;
  if (q.user) userRefs = await deps.people.users(q.user, deps.credentials);
  if (q.group) {
    const members = await deps.people.groupMembers(q.group, deps.credentials);
    userRefs = userRefs ? userRefs.filter(r => members.includes(r)) : members;
  }
  return {
    userRefs,
    labelId: q.label,
    caseId: q.case,
    legalHold: q.legalHold,
    hasDtmf: q.hasDtmf,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    phoneDigits,
    phoneExact,
    userRef: q.userRef,
    direction: q.direction,
    number,
    state: q.state,
    audioIssue: q.audioIssue,
    quality: q.quality,
    minDurationMs:
      q.minDuration !== undefined
        ? Math.round(q.minDuration * 1000)
        : undefined,
    maxDurationMs:
      q.maxDuration !== undefined
        ? Math.round(q.maxDuration * 1000)
        : undefined,
  };
}
