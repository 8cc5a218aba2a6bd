import { usePermission } from '@backstage/plugin-permission-react';
import {
  voiceRecordingBulkSchedulePermission,
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
  return {
    loading: create.loading || update.loading || models.loading || bulk.loading,
    canCreateNumbers: create.allowed,
    canUpdateNumbers: update.allowed,
    canManagePlanningModels: models.allowed,
    canBulkSchedule: bulk.allowed,
    isAdmin: create.allowed || update.allowed,
  };
}
