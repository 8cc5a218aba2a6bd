import { usePermission } from '@backstage/plugin-permission-react';
import {
  voiceRecordingAccessRequestCreatePermission,
  voiceRecordingAccessRequestDecidePermission,
  voiceRecordingAuditReadPermission,
  voiceRecordingCaseManagePermission,
  voiceRecordingComplianceManagePermission,
  voiceRecordingLegalHoldManagePermission,
  voiceRecordingBulkSchedulePermission,
  voiceRecordingConversationDownloadPermission,
  voiceRecordingConversationExportPermission,
  voiceRecordingFourEyesManagePermission,
  voiceRecordingHealthAcknowledgePermission,
  voiceRecordingHealthReadPermission,
  voiceRecordingNumberCreatePermission,
  voiceRecordingNumberUpdatePermission,
  voiceRecordingPlanningModelManagePermission,
} from '@mvr/plugin-voice-recording-common';

export interface VoiceRecordingPermissions {
  loading: boolean;
  /** May create numbers: the admin view (all numbers). */
  canCreateNumbers: boolean;
  /** May change settings and schedules (of `numberId` when given). */
  canUpdateNumbers: boolean;
  canManagePlanningModels: boolean;
  canBulkSchedule: boolean;
  /** May download a conversation as MP3 (admins). */
  canDownloadConversations: boolean;
  /** May export a selection of conversations as a ZIP (admins). */
  canExportConversations: boolean;
  /** May read the audit trail and a conversation's access history (admins). */
  canReadAudit: boolean;
  /** May create, change and close cases and labels (admins). */
  canManageCases: boolean;
  /** May request access to a case and see their own requests (everybody signed in). */
  canRequestAccess: boolean;
  /** May see every access request, approve, reject and revoke them (admins). */
  canDecideAccessRequests: boolean;
  /** May flag users four-eyes and clear the flags (admins). */
  canManageFourEyes: boolean;
  /** May see recording health: coverage, alarms, the assurance report (admins). */
  canReadHealth: boolean;
  /** May acknowledge a recording alarm with a comment (admins). */
  canAcknowledgeAlarms: boolean;
  /** May manage retention, see disposals, run regulator exports (admins). */
  canManageCompliance: boolean;
  /** May place legal holds and request or approve their release (admins). */
  canManageLegalHolds: boolean;
  /** Admin views: the numbers list, planning-model management, bulk scheduling. */
  isAdmin: boolean;
}

/** What the signed-in user may do; admin-only actions are hidden when not allowed. */
export function useVoiceRecordingPermissions(
  numberId?: string,
): VoiceRecordingPermissions {
  const create = usePermission({
    permission: voiceRecordingNumberCreatePermission,
  });
  const update = usePermission({
    permission: voiceRecordingNumberUpdatePermission,
    resourceRef: numberId,
  });
  const models = usePermission({
    permission: voiceRecordingPlanningModelManagePermission,
  });
  const bulk = usePermission({
    permission: voiceRecordingBulkSchedulePermission,
  });
  const download = usePermission({
    permission: voiceRecordingConversationDownloadPermission,
  });
  const exportZip = usePermission({
    permission: voiceRecordingConversationExportPermission,
  });
  const audit = usePermission({
    permission: voiceRecordingAuditReadPermission,
  });
  const cases = usePermission({
    permission: voiceRecordingCaseManagePermission,
  });
  const requestAccess = usePermission({
    permission: voiceRecordingAccessRequestCreatePermission,
  });
  const decide = usePermission({
    permission: voiceRecordingAccessRequestDecidePermission,
  });
  const fourEyes = usePermission({
    permission: voiceRecordingFourEyesManagePermission,
  });
  const health = usePermission({
    permission: voiceRecordingHealthReadPermission,
  });
  const acknowledge = usePermission({
    permission: voiceRecordingHealthAcknowledgePermission,
  });
  const compliance = usePermission({
    permission: voiceRecordingComplianceManagePermission,
  });
  const legalHolds = usePermission({
    permission: voiceRecordingLegalHoldManagePermission,
  });
  return {
    loading:
      create.loading ||
      update.loading ||
      models.loading ||
      bulk.loading ||
      download.loading ||
      exportZip.loading ||
      audit.loading ||
      cases.loading ||
      requestAccess.loading ||
      decide.loading ||
      fourEyes.loading ||
      health.loading ||
      acknowledge.loading ||
      compliance.loading ||
      legalHolds.loading,
    canCreateNumbers: create.allowed,
    canUpdateNumbers: update.allowed,
    canManagePlanningModels: models.allowed,
    canBulkSchedule: bulk.allowed,
    canDownloadConversations: download.allowed,
    canExportConversations: exportZip.allowed,
    canReadAudit: audit.allowed,
    canManageCases: cases.allowed,
    canRequestAccess: requestAccess.allowed,
    canDecideAccessRequests: decide.allowed,
    canManageFourEyes: fourEyes.allowed,
    canReadHealth: health.allowed,
    canAcknowledgeAlarms: acknowledge.allowed,
    canManageCompliance: compliance.allowed,
    canManageLegalHolds: legalHolds.allowed,
    isAdmin: create.allowed || update.allowed,
  };
}
