import { useMemo } from 'react';
import { Link, Tooltip, TooltipTrigger } from '@backstage/ui';
import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import {
  useEntityPresentation,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';

function parse(ref: string): CompoundEntityRef | undefined {
  try {
    return parseEntityRef(ref, {
      defaultKind: 'user',
      defaultNamespace: 'default',
    });
  } catch {
    return undefined;
  }
}

function LinkedName(props: { entityRef: string; compound: CompoundEntityRef }) {
  const { primaryTitle } = useEntityPresentation(props.compound);
  const href = useEntityRefLink()(props.compound);
  return (
    <TooltipTrigger trigger="focus">
      <Link href={href}>{primaryTitle}</Link>
      <Tooltip>{props.entityRef}</Tooltip>
    </TooltipTrigger>
  );
}

/**
 * A user or group shown by their catalog display name, linked to their catalog page,
 * with the entity ref (`user:default/carol`) on hover (the wrapper's `title`) and on
 * keyboard focus (a Backstage UI tooltip, which only opens on focus so that a mouse
 * user does not get two tooltips). Nothing set: a dash.
 */
export function PersonName(props: {
  entityRef: string | undefined | null;
  /** Shown when no ref is set. */
  empty?: string;
}) {
  const ref = props.entityRef?.trim();
  const compound = useMemo(() => (ref ? parse(ref) : undefined), [ref]);
  if (!ref) return <>{props.empty ?? '—'}</>;
  return (
    // A name inside a clickable table row opens the person, not the row.
    // eslint-disable-next-line jsx-a11y/click-events-have-key-events, jsx-a11y/no-static-element-interactions
    <span
      title={ref}
      data-testid="person-name"
      onClick={e => e.stopPropagation()}
    >
      {compound ? <LinkedName entityRef={ref} compound={compound} /> : ref}
    </span>
  );
}
