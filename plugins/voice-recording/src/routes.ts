import {
  createRouteRef,
  createSubRouteRef,
} from '@backstage/frontend-plugin-api';

/** The plugin's page, mounted at `/voice-recording` by default. */
export const rootRouteRef = createRouteRef();

/** Detail page of one recorded number: `/voice-recording/numbers/:id`. */
export const numberDetailRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/numbers/:id',
});

/** Detail page of one recorded conversation: `/voice-recording/conversations/:id`. */
export const conversationDetailRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/conversations/:id',
});

/**
 * One access request with its case and requester, and the decision buttons:
 * `/voice-recording/workflows/requests/:id` (the approvers' notifications link here,
 * see `accessRequestPath` in the common package).
 */
export const accessRequestRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/workflows/requests/:id',
});

/**
 * Recording health of one recorded number: `/voice-recording/health/numbers/:id` (the
 * recording alarms' notifications link here).
 */
export const recordingHealthNumberRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/health/numbers/:id',
});

/** Relative paths of the page's tabs, under the root route. */
export const TAB_PATHS = {
  numbers: 'numbers',
  myNumbers: 'my-numbers',
  planningModels: 'planning-models',
  bulk: 'bulk',
  conversations: 'conversations',
  audit: 'audit',
  cases: 'cases',
  workflows: 'workflows',
  fourEyes: 'four-eyes',
  health: 'health',
  compliance: 'compliance',
} as const;

/** Relative paths of the Compliance tab's sections, under `compliance/`. */
export const COMPLIANCE_PATHS = {
  retention: 'retention',
  disposals: 'disposals',
  legalHolds: 'legal-holds',
  exports: 'exports',
  integrity: 'integrity',
} as const;

/** Relative paths of the Workflows tab's sections, under `workflows/`. */
export const WORKFLOW_PATHS = {
  requestAccess: 'request-access',
  myRequests: 'my-requests',
  toApprove: 'to-approve',
  allRequests: 'all-requests',
  request: 'requests',
} as const;
