import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { z } from 'zod';

/** An InputError with structured details, answered as `{ error, details, ... }`. */
export class DetailedInputError extends InputError {
  constructor(message: string, readonly details: JsonObject) {
    super(message);
    this.name = 'InputError';
  }
}

/** Parses with zod; throws an InputError whose message names the field(s). */
export function parseInput<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  where: string = 'body',
): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues
    .map(
      issue =>
        `${issue.path.length ? issue.path.join('.') : where}: ${issue.message}`,
    )
    .join('; ');
  throw new InputError(message);
}
