/**
 * Frontend plugin of Mobile Voice Recording (new frontend system).
 *
 * @packageDocumentation
 */
import { voiceRecordingPlugin } from './plugin';

export default voiceRecordingPlugin;
export {
  voiceRecordingPlugin,
  voiceRecordingApi,
  voiceRecordingPage,
  voiceRecordingEntityContent,
  isMobileNumberEntity,
} from './plugin';
export { voiceRecordingApiRef, VoiceRecordingClient } from './api';
export type {
  VoiceRecordingApi,
  NumberQuery,
  NumberList,
  CreateNumberRequest,
  UpdateNumberRequest,
  PlanningModelInput,
  BulkImportResult,
  DownloadedFile,
  ConversationSort,
  ConversationFilters,
  ConversationQuery,
  ConversationSummary,
  ConversationList,
  ConversationDetail,
  AudioFormat,
  Waveform,
  AuditEntry,
  AuditQuery,
  AuditList,
  LabelInput,
  CaseAccessInput,
  CreateCaseRequest,
  UpdateCaseRequest,
  CreateAccessRequest,
  AccessRequestQuery,
  AccessRequestList,
  ConversationLabelsChange,
  HealthPeriod,
  NumberCoverageQuery,
  RecordingAlarmQuery,
  AssuranceReportFormat,
} from './api';
export {
  rootRouteRef,
  numberDetailRouteRef,
  conversationDetailRouteRef,
  accessRequestRouteRef,
  recordingHealthNumberRouteRef,
} from './routes';
export {
  ANNOTATION_NUMBER,
  ANNOTATION_NUMBER_ID,
  ANNOTATION_RECORDING_HEALTH,
  MOBILE_NUMBER_RESOURCE_TYPE,
  RECORDED_NUMBER_KIND,
} from './constants';
