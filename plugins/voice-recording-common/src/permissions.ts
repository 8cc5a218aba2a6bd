import { createPermission } from '@backstage/plugin-permission-common';

/** Resource type of a recorded number, used for conditional decisions. */
export const RESOURCE_TYPE_VOICE_RECORDING_NUMBER = 'voice-recording-number';

/** Resource type of a recorded conversation, used for conditional decisions. */
export const RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION =
  'voice-recording-conversation';

/** Resource type of a case, used for conditional decisions (label changes). */
export const RESOURCE_TYPE_VOICE_RECORDING_CASE = 'voice-recording-case';

/** List and view recorded numbers (standard users: only their own). */
export const voiceRecordingNumberReadPermission = createPermission({
  name: 'voice-recording.number.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
});

/** Create recorded numbers (admins). */
export const voiceRecordingNumberCreatePermission = createPermission({
  name: 'voice-recording.number.create',
  attributes: { action: 'create' },
});

/** Change settings and schedule of a recorded number (admins). */
export const voiceRecordingNumberUpdatePermission = createPermission({
  name: 'voice-recording.number.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
});

/** Delete a recorded number (admins). */
export const voiceRecordingNumberDeletePermission = createPermission({
  name: 'voice-recording.number.delete',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
});

/** Switch professional mode on/off (owner of a self-managed number, or admins). */
export const voiceRecordingNumberSelfManagePermission = createPermission({
  name: 'voice-recording.number.self-manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
});

/** Read planning models (everybody signed in). */
export const voiceRecordingPlanningModelReadPermission = createPermission({
  name: 'voice-recording.planning-model.read',
  attributes: { action: 'read' },
});

/** Create, edit and delete planning models (admins). */
export const voiceRecordingPlanningModelManagePermission = createPermission({
  name: 'voice-recording.planning-model.manage',
  attributes: { action: 'update' },
});

/** Bulk scheduling: import and export CSV (admins). */
export const voiceRecordingBulkSchedulePermission = createPermission({
  name: 'voice-recording.bulk-schedule',
  attributes: { action: 'update' },
});

/** Query the recording decision (the network / recorder, admins). */
export const voiceRecordingPolicyQueryPermission = createPermission({
  name: 'voice-recording.policy.query',
  attributes: { action: 'read' },
});

/** Read the plugin's audit trail (admins). */
export const voiceRecordingAuditReadPermission = createPermission({
  name: 'voice-recording.audit.read',
  attributes: { action: 'read' },
});

/**
 * Search, view and play back conversations (standard users: conversations of their
 * own numbers; later also through cases).
 */
export const voiceRecordingConversationReadPermission = createPermission({
  name: 'voice-recording.conversation.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION,
});

/** Download a conversation as MP3 (admins). */
export const voiceRecordingConversationDownloadPermission = createPermission({
  name: 'voice-recording.conversation.download',
  attributes: { action: 'read' },
});

/** Export a selection of conversations as a ZIP (admins). */
export const voiceRecordingConversationExportPermission = createPermission({
  name: 'voice-recording.conversation.export',
  attributes: { action: 'read' },
});

/**
 * Play back a conversation: audio, waveform, playback start; also needed (with
 * `conversation.download`) to download it. Standard users: their own conversations and
 * those of cases whose playback setting or an approved request allows them. Seeing a
 * conversation in lists and its details is `conversation.read`.
 */
export const voiceRecordingConversationPlayPermission = createPermission({
  name: 'voice-recording.conversation.play',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION,
});

/** List cases and labels (everybody signed in: to request access, to show chips). */
export const voiceRecordingCaseReadPermission = createPermission({
  name: 'voice-recording.case.read',
  attributes: { action: 'read' },
});

/** Create, change and close cases; create and change labels (admins). */
export const voiceRecordingCaseManagePermission = createPermission({
  name: 'voice-recording.case.manage',
  attributes: { action: 'update' },
});

/**
 * Add or remove a case's label on conversations (admins; standard users: the cases
 * they own, whose label setting selects them, or an approved request grants it).
 */
export const voiceRecordingCaseLabelPermission = createPermission({
  name: 'voice-recording.case.label',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_VOICE_RECORDING_CASE,
});

/** Request access to a case and see one's own requests (everybody signed in). */
export const voiceRecordingAccessRequestCreatePermission = createPermission({
  name: 'voice-recording.access-request.create',
  attributes: { action: 'create' },
});

/** See every access request, approve, reject and revoke them (admins). */
export const voiceRecordingAccessRequestDecidePermission = createPermission({
  name: 'voice-recording.access-request.decide',
  attributes: { action: 'update' },
});

/**
 * Flag users as four-eyes (their access to recordings needs an observer's
 * confirmation) and clear the flag; list the flagged users (admins).
 */
export const voiceRecordingFourEyesManagePermission = createPermission({
  name: 'voice-recording.four-eyes.manage',
  attributes: { action: 'update' },
});

/**
 * See recording health: coverage per recorded number (expected vs recorded), alarms,
 * the recording assurance report (admins).
 */
export const voiceRecordingHealthReadPermission = createPermission({
  name: 'voice-recording.health.read',
  attributes: { action: 'read' },
});

/** Acknowledge a recording alarm with a comment (admins). */
export const voiceRecordingHealthAcknowledgePermission = createPermission({
  name: 'voice-recording.health.acknowledge',
  attributes: { action: 'update' },
});

/**
 * Manage the compliance archive (admins): retention policies, upcoming disposals and
 * the disposal log, the integrity sweep's results, regulator exports' jobs.
 */
export const voiceRecordingComplianceManagePermission = createPermission({
  name: 'voice-recording.compliance.manage',
  attributes: { action: 'update' },
});

/**
 * Place a legal hold on a case, request its release and approve another admin's
 * release request (admins; the requester can never approve their own).
 */
export const voiceRecordingLegalHoldManagePermission = createPermission({
  name: 'voice-recording.legal-hold.manage',
  attributes: { action: 'update' },
});

export const voiceRecordingPermissions = [
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberCreatePermission,
  voiceRecordingNumberUpdatePermission,
  voiceRecordingNumberDeletePermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingPlanningModelReadPermission,
  voiceRecordingPlanningModelManagePermission,
  voiceRecordingBulkSchedulePermission,
  voiceRecordingPolicyQueryPermission,
  voiceRecordingAuditReadPermission,
  voiceRecordingConversationReadPermission,
  voiceRecordingConversationDownloadPermission,
  voiceRecordingConversationExportPermission,
  voiceRecordingConversationPlayPermission,
  voiceRecordingCaseReadPermission,
  voiceRecordingCaseManagePermission,
  voiceRecordingCaseLabelPermission,
  voiceRecordingAccessRequestCreatePermission,
  voiceRecordingAccessRequestDecidePermission,
  voiceRecordingFourEyesManagePermission,
  voiceRecordingHealthReadPermission,
  voiceRecordingHealthAcknowledgePermission,
  voiceRecordingComplianceManagePermission,
  voiceRecordingLegalHoldManagePermission,
];

/** Permissions a standard user gets unconditionally. */
export const voiceRecordingStandardUserPermissions = [
  voiceRecordingPlanningModelReadPermission.name,
  voiceRecordingCaseReadPermission.name,
  voiceRecordingAccessRequestCreatePermission.name,
];
