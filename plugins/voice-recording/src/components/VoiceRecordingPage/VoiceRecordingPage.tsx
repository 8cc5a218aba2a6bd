import { Container, Flex, Skeleton, VisuallyHidden } from '@backstage/ui';
import { Navigate, Route, Routes } from 'react-router-dom';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { rootRouteRef, TAB_PATHS } from '../../routes';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { NumbersPage } from '../NumbersPage/NumbersPage';
import { NumberDetailPage } from '../NumberDetailPage/NumberDetailPage';
import { PlanningModelsPage } from '../PlanningModelsPage/PlanningModelsPage';
import { BulkSchedulingPage } from '../BulkSchedulingPage/BulkSchedulingPage';
import { MyNumbersPage } from '../MyNumbersPage/MyNumbersPage';
import { ConversationsPage } from '../ConversationsPage/ConversationsPage';
import { ConversationDetailPage } from '../ConversationDetailPage/ConversationDetailPage';
import { AuditPage } from '../AuditPage/AuditPage';
import { CasesPage } from '../CasesPage/CasesPage';
import { WorkflowsPage } from '../WorkflowsPage/WorkflowsPage';
import { FourEyesGate } from '../FourEyesGate/FourEyesGate';
import { FourEyesPage } from '../FourEyesGate/FourEyesPage';
import { RecordingHealthSection } from '../RecordingHealthPage/RecordingHealthSection';
import { CompliancePage } from '../CompliancePage/CompliancePage';
import { TabDef, VoiceRecordingTabs } from './VoiceRecordingTabs';

/**
 * The plugin page: tabs for the sections the user may use. Admins land on Numbers,
 * standard users on My numbers. The app shell (PageBlueprint → PageLayout) draws the
 * plugin header ("Voice recording") and then this element as it is, without padding:
 * BUI's `Container` gives the standard page padding and maximum width.
 */
export function VoiceRecordingPage() {
  const root = useRouteRef(rootRouteRef);
  const basePath = root?.() ?? '/voice-recording';
  const perms = useVoiceRecordingPermissions();

  if (perms.loading) {
    return (
      <Container pt="4">
        <Flex direction="column" gap="3" role="status" aria-busy="true">
          <VisuallyHidden>Loading voice recording</VisuallyHidden>
          <Skeleton width="60%" height={32} />
          <Skeleton height={200} />
        </Flex>
      </Container>
    );
  }

  const tabs: TabDef[] = [
    ...(perms.isAdmin ? [{ path: TAB_PATHS.numbers, label: 'Numbers' }] : []),
    { path: TAB_PATHS.myNumbers, label: 'My numbers' },
    { path: TAB_PATHS.conversations, label: 'Conversations' },
    ...(perms.canManageCases
      ? [{ path: TAB_PATHS.cases, label: 'Cases' }]
      : []),
    ...(perms.canRequestAccess || perms.canDecideAccessRequests
      ? [{ path: TAB_PATHS.workflows, label: 'Workflows' }]
      : []),
    { path: TAB_PATHS.planningModels, label: 'Planning models' },
    ...(perms.canBulkSchedule
      ? [{ path: TAB_PATHS.bulk, label: 'Bulk scheduling' }]
      : []),
    ...(perms.canReadHealth
      ? [{ path: TAB_PATHS.health, label: 'Recording health' }]
      : []),
    ...(perms.canManageCompliance || perms.canManageLegalHolds
      ? [{ path: TAB_PATHS.compliance, label: 'Compliance' }]
      : []),
    ...(perms.canReadAudit ? [{ path: TAB_PATHS.audit, label: 'Audit' }] : []),
    // observers reach it by their notification's link; admins manage the flags there
    ...(perms.canManageFourEyes
      ? [{ path: TAB_PATHS.fourEyes, label: 'Four-eyes' }]
      : []),
  ];
  const landing = perms.isAdmin ? TAB_PATHS.numbers : TAB_PATHS.myNumbers;

  return (
    <Container pt="2">
      <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
        <VoiceRecordingTabs basePath={basePath} tabs={tabs}>
          <Routes>
            <Route index element={<Navigate to={landing} replace />} />
            <Route path={TAB_PATHS.numbers} element={<NumbersPage />} />
            <Route
              path={`${TAB_PATHS.numbers}/:id`}
              element={<NumberDetailPage />}
            />
            <Route path={TAB_PATHS.myNumbers} element={<MyNumbersPage />} />
            <Route
              path={TAB_PATHS.planningModels}
              element={<PlanningModelsPage />}
            />
            {/* a four-eyes user sees recordings once an observer confirmed */}
            <Route
              path={TAB_PATHS.conversations}
              element={
                <FourEyesGate>
                  <ConversationsPage />
                </FourEyesGate>
              }
            />
            <Route
              path={`${TAB_PATHS.conversations}/:id`}
              element={
                <FourEyesGate>
                  <ConversationDetailPage />
                </FourEyesGate>
              }
            />
            <Route
              path={TAB_PATHS.fourEyes}
              element={<FourEyesPage canManage={perms.canManageFourEyes} />}
            />
            {perms.canManageCases && (
              <Route path={TAB_PATHS.cases} element={<CasesPage />} />
            )}
            {(perms.canRequestAccess || perms.canDecideAccessRequests) && (
              <Route
                path={`${TAB_PATHS.workflows}/*`}
                element={<WorkflowsPage />}
              />
            )}
            {/* an alarm's link opened by someone who may not: told so, not redirected */}
            <Route
              path={`${TAB_PATHS.health}/*`}
              element={<RecordingHealthSection allowed={perms.canReadHealth} />}
            />
            {(perms.canManageCompliance || perms.canManageLegalHolds) && (
              <Route
                path={`${TAB_PATHS.compliance}/*`}
                element={<CompliancePage />}
              />
            )}
            {perms.canReadAudit && (
              <Route path={TAB_PATHS.audit} element={<AuditPage />} />
            )}
            {perms.canBulkSchedule && (
              <Route path={TAB_PATHS.bulk} element={<BulkSchedulingPage />} />
            )}
            <Route path="*" element={<Navigate to={landing} replace />} />
          </Routes>
        </VoiceRecordingTabs>
      </Flex>
    </Container>
  );
}
