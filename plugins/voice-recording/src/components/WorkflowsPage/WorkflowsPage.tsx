import { Flex, Skeleton } from '@backstage/ui';
import { Navigate, Route, Routes } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef, TAB_PATHS, WORKFLOW_PATHS } from '../../routes';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { VoiceRecordingTabs } from '../VoiceRecordingPage/VoiceRecordingTabs';
import { AccessRequestPage } from './AccessRequestPage';
import { RequestAccessForm } from './RequestAccessForm';
import { AllRequests, MyRequests, RequestsToApprove } from './RequestLists';

/**
 * Workflows: request access to a case and follow one's requests; admins also approve,
 * reject and revoke. Each section is a link tab (`/voice-recording/workflows/...`),
 * one request is `/voice-recording/workflows/requests/:id`.
 */
export function WorkflowsPage() {
  const root = useRouteRef(rootRouteRef);
  const base = `${(root?.() ?? '/voice-recording').replace(/\/$/, '')}/${
    TAB_PATHS.workflows
  }`;
  const perms = useVoiceRecordingPermissions();
  const api = useApi(voiceRecordingApiRef);
  // A requester's manager who is no admin: a section when requests wait for them.
  const managed = useAsync(
    async () =>
      perms.loading || perms.canDecideAccessRequests || !perms.canRequestAccess
        ? 0
        : (
            await api.listMyAccessRequests({
              as: 'manager',
              state: 'pending',
              limit: 1,
            })
          ).total,
    [api, perms.loading, perms.canDecideAccessRequests, perms.canRequestAccess],
  );
  const isManager = (managed.value ?? 0) > 0;
  const sections = [
    ...(perms.canRequestAccess
      ? [
          { path: WORKFLOW_PATHS.requestAccess, label: 'Request access' },
          { path: WORKFLOW_PATHS.myRequests, label: 'My requests' },
        ]
      : []),
    ...(isManager && !perms.canDecideAccessRequests
      ? [{ path: WORKFLOW_PATHS.toApprove, label: 'Requests to approve' }]
      : []),
    ...(perms.canDecideAccessRequests
      ? [
          { path: WORKFLOW_PATHS.toApprove, label: 'Requests to approve' },
          { path: WORKFLOW_PATHS.allRequests, label: 'All requests' },
        ]
      : []),
  ];
  const landing = perms.canDecideAccessRequests
    ? WORKFLOW_PATHS.toApprove
    : WORKFLOW_PATHS.requestAccess;

  // Which sections exist (and where to land) is known once the permissions are.
  if (perms.loading || managed.loading)
    return <Skeleton width="100%" height={120} />;

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      {/* each section's content is its tab's panel (aria-controls names an element) */}
      <VoiceRecordingTabs basePath={base} tabs={sections} label="Workflows">
        <Routes>
          <Route index element={<Navigate to={landing} replace />} />
          {perms.canRequestAccess && (
            <>
              <Route
                path={WORKFLOW_PATHS.requestAccess}
                element={<RequestAccessForm />}
              />
              <Route
                path={WORKFLOW_PATHS.myRequests}
                element={<MyRequests />}
              />
            </>
          )}
          {isManager && !perms.canDecideAccessRequests && (
            <Route
              path={WORKFLOW_PATHS.toApprove}
              element={<RequestsToApprove as="manager" />}
            />
          )}
          {perms.canDecideAccessRequests && (
            <>
              <Route
                path={WORKFLOW_PATHS.toApprove}
                element={<RequestsToApprove />}
              />
              <Route
                path={WORKFLOW_PATHS.allRequests}
                element={<AllRequests />}
              />
            </>
          )}
          <Route
            path={`${WORKFLOW_PATHS.request}/:id`}
            element={<AccessRequestPage />}
          />
          <Route path="*" element={<Navigate to={landing} replace />} />
        </Routes>
      </VoiceRecordingTabs>
    </Flex>
  );
}
