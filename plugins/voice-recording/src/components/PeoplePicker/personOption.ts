import { Entity, stringifyEntityRef } from '@backstage/catalog-model';

/** Catalog kinds a person picker can offer. */
export type PersonKind = 'User' | 'Group';

/** A user or group as the picker lists it. */
export interface PersonOption {
  /** Entity ref, `user:default/carol`: what is stored. */
  ref: string;
  kind: PersonKind;
  displayName: string;
  email?: string;
  picture?: string;
}

/** The entity fields the picker reads (the rest is not fetched). */
export const PERSON_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'spec.profile',
];

/** Where the catalog looks for the typed text. */
export const PERSON_SEARCH_FIELDS = [
  'metadata.name',
  'metadata.title',
  'spec.profile.displayName',
  'spec.profile.email',
];

export function personOptionOf(entity: Entity): PersonOption {
  const profile = (entity.spec?.profile ?? {}) as {
    displayName?: unknown;
    email?: unknown;
    picture?: unknown;
  };
  const text = (v: unknown) =>
    typeof v === 'string' && v.trim() ? v.trim() : undefined;
  return {
    ref: stringifyEntityRef(entity),
    kind: entity.kind.toLocaleLowerCase('en-US') === 'group' ? 'Group' : 'User',
    displayName:
      text(profile.displayName) ??
      text(entity.metadata.title) ??
      entity.metadata.name,
    email: text(profile.email),
    picture: text(profile.picture),
  };
}

/**
 * The text the catalog is searched for: what was typed, trimmed; an entity ref
 * (`user:default/carol`) is searched by its name (`carol`).
 */
export function personSearchTerm(typed: string): string {
  const trimmed = typed.trim();
  const ref = /^(?:(?:user|group):)?(?:[^\s/:]+\/)?([^\s/:]+)$/i.exec(trimmed);
  if (ref && /[:/]/.test(trimmed)) return ref[1];
  return trimmed;
}
