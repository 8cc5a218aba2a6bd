import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  PermissionCondition,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';

type Criteria = PermissionCriteria<PermissionCondition>;

/**
 * Combines policy decisions so that a request is allowed only where every one of
 * them allows it (logical AND):
 *
 * - any DENY: DENY;
 * - ALLOW and another decision: the other decision (ALLOW adds no restriction);
 * - several CONDITIONAL: one CONDITIONAL whose conditions are
 *   `allOf: [conditions of the first, conditions of the second, ...]`.
 *
 * This is how a portal's own policy keeps its rules for catalog entities and adds
 * the voice-recording suite's ("not another user's recorded number"):
 * `allOfDecisions(hostDecision, await voiceRecording.handle(request, user))`.
 *
 * Conditional decisions of different plugins or resource types cannot be combined
 * (a permission has one resource type): that is a programming error and throws.
 */
export function allOfDecisions(...decisions: PolicyDecision[]): PolicyDecision {
  if (decisions.length === 0) {
    throw new Error('allOfDecisions needs at least one decision');
  }
  if (decisions.some(d => d.result === AuthorizeResult.DENY)) {
    return { result: AuthorizeResult.DENY };
  }
  const conditional = decisions.filter(
    (d): d is ConditionalPolicyDecision =>
      d.result === AuthorizeResult.CONDITIONAL,
  );
  if (conditional.length === 0) {
    return { result: AuthorizeResult.ALLOW };
  }
  const [first] = conditional;
  const other = conditional.find(
    d => d.pluginId !== first.pluginId || d.resourceType !== first.resourceType,
  );
  if (other) {
    throw new Error(
      `Cannot combine conditional decisions of ${first.pluginId}/${first.resourceType} and ${other.pluginId}/${other.resourceType}: a permission has one resource type`,
    );
  }
  if (conditional.length === 1) {
    return first;
  }
  const allOf: Criteria[] = conditional.flatMap(d =>
    'allOf' in d.conditions
      ? (d.conditions.allOf as Criteria[])
      : [d.conditions as Criteria],
  );
  return {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: first.pluginId,
    resourceType: first.resourceType,
    conditions: { allOf: allOf as [Criteria, ...Criteria[]] },
  };
}
