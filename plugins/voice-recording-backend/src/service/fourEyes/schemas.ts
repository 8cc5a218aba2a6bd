import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';

/** An entity ref of one of `kinds`, normalised to lower case `kind:namespace/name`. */
const entityRef = (kinds: Array<'user' | 'group'>) =>
  z
    .string()
    .trim()
    .min(1)
    .transform((v, ctx) => {
      try {
        const ref = stringifyEntityRef(
          parseEntityRef(v, {
            defaultKind: 'user',
            defaultNamespace: 'default',
          }),
        ).toLowerCase();
        if (!kinds.some(k => ref.startsWith(`${k}:`))) {
          ctx.addIssue({
            code: 'custom',
            message: `${v} is not a ${kinds.join(' or ')}`,
          });
          return z.NEVER;
        }
        return ref;
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `"${v}" is not an entity ref`,
        });
        return z.NEVER;
      }
    });

export const userRefSchema = entityRef(['user']);

/** `PUT /four-eyes/users`: flag a user, with their observer (a user or a group). */
export const fourEyesFlagSchema = z
  .object({
    userRef: entityRef(['user']),
    observerRef: entityRef(['user', 'group']),
  })
  .strict();
