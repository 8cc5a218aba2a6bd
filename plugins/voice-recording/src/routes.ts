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

/** Relative paths of the page's tabs, under the root route. */
export const TAB_PATHS = {
  numbers: 'numbers',
  myNumbers: 'my-numbers',
  planningModels: 'planning-models',
  bulk: 'bulk',
  conversations: 'conversations',
  audit: 'audit',
} as const;
