import { EntityRefLink } from '@backstage/plugin-catalog-react';

/**
 * A user or group shown by their catalog display name, linked to their catalog page,
 * with the entity ref (`user:default/carol`) on hover. Nothing set: a dash.
 */
export function PersonName(props: {
  entityRef: string | undefined | null;
  /** Shown when no ref is set. */
  empty?: string;
}) {
  const ref = props.entityRef?.trim();
  if (!ref) return <>{props.empty ?? '—'}</>;
  return (
    <span title={ref} data-testid="person-name">
      <EntityRefLink
        entityRef={ref}
        defaultKind="user"
        hideIcon
        disableTooltip
        onClick={e => e.stopPropagation()}
      />
    </span>
  );
}
