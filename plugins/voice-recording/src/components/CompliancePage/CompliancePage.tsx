import { Flex, Skeleton } from '@backstage/ui';
import { Navigate, Route, Routes } from 'react-router-dom';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { COMPLIANCE_PATHS, rootRouteRef, TAB_PATHS } from '../../routes';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { TabDef, VoiceRecordingTabs } from '../VoiceRecordingPage/VoiceRecordingTabs';
import { ExportsPage } from '../ExportsPage/ExportsPage';
import { RetentionPage } from '../RetentionPage/RetentionPage';
import { DisposalsPage } from '../DisposalsPage/DisposalsPage';
import { LegalHoldsPage } from '../LegalHoldsPage/LegalHoldsPage';
import { IntegrityPage } from '../IntegrityPage/IntegrityPage';

/**
 * Compliance (admins): the governed archive. Each section is a link tab
 * (`/voice-recording/compliance/...`): retention policies, upcoming disposals and the
 * disposal log, legal holds, regulator exports, integrity (signing key, sweeps).
 * A section is added by pushing its tab and element below when the user may use it.
 */
export function CompliancePage() {
  const root = useRouteRef(rootRouteRef);
  const base = `${(root?.() ?? '/voice-recording').replace(/\/$/, '')}/${
    TAB_PATHS.compliance
  }`;
  const perms = useVoiceRecordingPermissions();
  if (perms.loading) return <Skeleton width="100%" height={120} />;

  // Each section: its tab and its route, when the user may use it.
  const sections: Array<TabDef & { element: JSX.Element }> = [];
  if (perms.canManageCompliance)
    sections.push(
      {
        path: COMPLIANCE_PATHS.retention,
        label: 'Retention',
        element: <RetentionPage />,
      },
      {
        path: COMPLIANCE_PATHS.disposals,
        label: 'Disposals',
        element: <DisposalsPage />,
      },
    );
  if (perms.canManageLegalHolds)
    sections.push({
      path: COMPLIANCE_PATHS.legalHolds,
      label: 'Legal holds',
      element: <LegalHoldsPage />,
    });
  if (perms.canExportConversations)
    sections.push({
      path: COMPLIANCE_PATHS.exports,
      label: 'Exports',
      element: <ExportsPage />,
    });
  if (perms.canManageCompliance)
    sections.push({
      path: COMPLIANCE_PATHS.integrity,
      label: 'Integrity',
      element: <IntegrityPage />,
    });
  const landing = sections[0]?.path;

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      <VoiceRecordingTabs basePath={base} tabs={sections} label="Compliance">
        <Routes>
          {landing && (
            <Route index element={<Navigate to={landing} replace />} />
          )}
          {sections.map(s => (
            <Route key={s.path} path={`${s.path}/*`} element={s.element} />
          ))}
        </Routes>
      </VoiceRecordingTabs>
    </Flex>
  );
}

/** The sections' paths, for links from elsewhere (e.g. a case's hold). */
export { COMPLIANCE_PATHS };
