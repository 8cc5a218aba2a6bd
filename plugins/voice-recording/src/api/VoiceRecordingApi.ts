import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  ArchiveJobKind,
  ArchiveJobList,
  ArchiveJobState,
  ArchiveJobView,
  ArchiveQueueSummary,
  ExportJob,
  ExportScope,
} from '@mvr/plugin-voice-recording-common';
import type {
  ConversationSignatures,
  IntegrityStatus,
  IntegritySweep,
  RecordingVerification,
  SigningPublicKey,
} from './integrity';
import type {
  DisposalDryRunResult,
  DisposalQuery,
  DisposalRecordPage,
  DisposalRunSummary,
  DisposalRunView,
  RetentionOverview,
  RetentionPolicyInput,
  UpcomingDisposalPage,
} from './retention';
import {
  AuditChainVerification,
  AccessRequest,
  AccessRequestState,
  Case,
  CaseAccessMode,
  CaseAccessSetting,
  CaseLabelMode,
  CaseRight,
  CaseStatus,
  Conversation,
  ConversationAudioIssue,
  ConversationLabel,
  ConversationDirection,
  ConversationState,
  FourEyesFlag,
  FourEyesSession,
  FourEyesStatus,
  Label,
  LegalHold,
  LegalHoldState,
  NumberSettings,
  QualityVerdict,
  NumberStatus,
  NumberCoverageDetail,
  NumberCoverageList,
  PlanningModel,
  RecordedNumberWithStatus,
  RecordingAlarm,
  RecordingAlarmKind,
  RecordingAlarmList,
  RecordingAlarmState,
  RecordingAttention,
  RecordingHealthSummary,
  TimeSlot,
} from '@mvr/plugin-voice-recording-common';

/** Query of `GET /numbers` (see docs/api.md). */
export interface NumberQuery {
  /** Substring of the number or the user. */
  q?: string;
  userRef?: string;
  status?: NumberStatus;
  mvrActive?: boolean;
  limit?: number;
  offset?: number;
}

export interface NumberList {
  items: RecordedNumberWithStatus[];
  total: number;
}

export interface CreateNumberRequest {
  number: string;
  userRef: string;
  mvrActive?: boolean;
  fmu?: boolean;
  settings?: Partial<NumberSettings>;
  planningModelId?: string;
  slots?: TimeSlot[];
}

export interface UpdateNumberRequest {
  userRef?: string;
  mvrActive?: boolean;
  fmu?: boolean;
  settings?: Partial<NumberSettings>;
}

export interface PlanningModelInput {
  name: string;
  description?: string;
  slots: TimeSlot[];
}

export interface BulkImportResult {
  applied: number;
  unchanged: number;
  dryRun: boolean;
}

/** A downloaded file: its content and the name to save it under. */
export interface DownloadedFile {
  blob: Blob;
  fileName: string;
}

/** Sort keys of `GET /conversations`. */
export type ConversationSort =
  | 'startedAt'
  | 'durationMs'
  | 'number'
  | 'otherParty';

/** Filters of `GET /conversations` (also the body of `POST /conversations/export`). */
export interface ConversationFilters {
  /** ISO 8601 instants, on `startedAt`. */
  from?: string;
  to?: string;
  /** Either party, full or partial, any format (digits are matched). */
  phone?: string;
  userRef?: string;
  /** A user's name, display name, e-mail (part of) or entity ref: resolved by the backend. */
  user?: string;
  /** A group's name or ref: its members' calls and its child groups' members'. */
  group?: string;
  /** With (true) or without (false) DTMF digits. */
  hasDtmf?: boolean;
  /** Under a standing legal hold (true) or not (false): docs/legal-hold.md. */
  legalHold?: boolean;
  direction?: ConversationDirection;
  /** Seconds. */
  minDuration?: number;
  maxDuration?: number;
  /** The recorded number, any format. */
  number?: string;
  state?: ConversationState;
  /**
   * Recordings without usable audio: `any` (flagged), `none` (not flagged), or one
   * issue code (`no-media`, `undecodable-codec`).
   */
  audioIssue?: 'any' | 'none' | ConversationAudioIssue;
  /** The quality check's verdict (calls archived before the check match none). */
  quality?: QualityVerdict;
  /** The id of a label: the conversations carrying it. */
  label?: string;
  /** The id of a case: the conversations carrying its label. */
  case?: string;
}

/** Query of `GET /conversations`: filters, sort and keyset pagination. */
export interface ConversationQuery extends ConversationFilters {
  sort?: ConversationSort;
  order?: 'asc' | 'desc';
  limit?: number;
  /** Opaque, from a previous answer's `nextCursor`. */
  cursor?: string;
}

/** A conversation in a search result: without `metadata`, plus its quality warnings. */
export type ConversationSummary = Omit<Conversation, 'metadata'> & {
  qualityWarnings: string[];
};

export interface ConversationList {
  items: ConversationSummary[];
  /** Matches; at least this many when `totalIsLowerBound` (the server's count cap). */
  total: number;
  totalIsLowerBound?: boolean;
  nextCursor?: string;
}

/** `GET /conversations/:id`. */
export type ConversationDetail = Conversation & {
  qualityWarnings: string[];
  audio: { available: boolean; formats: string[]; durationMs?: number };
};

/** Audio formats of `GET /conversations/:id/audio`. */
export type AudioFormat = 'ogg' | 'wav';

/** `GET /conversations/:id/waveform`: left = recorded user, right = other party. */
export interface Waveform {
  durationMs: number;
  channels: Array<{ label: string; party?: string; peaks: number[] }>;
}

/** One row of the plugin's audit trail. */
export interface AuditEntry {
  id: string;
  at: string;
  actorRef: string;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

/** Query of `GET /audit`. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  targetType?: string;
  /** ISO 8601 instants. */
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

export interface AuditList {
  items: AuditEntry[];
  total: number;
}

/** `POST /labels` and `PATCH /labels/:id`. */
export interface LabelInput {
  title: string;
  /** `#rrggbb` */
  colour: string;
}

/** The access settings of a case as sent: `refs` only for `selected`. */
export interface CaseAccessInput {
  list: CaseAccessSetting<CaseAccessMode>;
  playback: CaseAccessSetting<CaseAccessMode>;
  label: CaseAccessSetting<CaseLabelMode>;
}

/** `POST /cases`: an existing label (`labelId`) or a new one (`label`). */
export interface CreateCaseRequest {
  title: string;
  description?: string;
  status?: CaseStatus;
  labelId?: string;
  label?: LabelInput;
  access?: CaseAccessInput;
}

/** `PATCH /cases/:id`. */
export interface UpdateCaseRequest {
  title?: string;
  description?: string;
  status?: CaseStatus;
  access?: CaseAccessInput;
}

/**
 * `GET /requestable-cases`: what the request form offers, to every signed-in user:
 * the open cases by id and title only (nothing else of a case one has no right on),
 * and the longest a request may run.
 */
export interface RequestableCases {
  items: { id: string; title: string }[];
  /** voiceRecording.accessRequests.maxExpiryDays: the latest `expiresAt`, in days from now. */
  maxExpiryDays: number;
}

/** `POST /access-requests`. */
export interface CreateAccessRequest {
  caseId: string;
  reason: string;
  /** Default (backend): list and playback. */
  rights?: CaseRight[];
  /** ISO 8601, in the future. */
  expiresAt: string;
}

/** Query of `GET /access-requests` (admins) and `GET /me/access-requests`. */
export interface AccessRequestQuery {
  state?: AccessRequestState;
  caseId?: string;
  /** Admins' list only: the requester's entity ref. */
  requester?: string;
  /** `GET /me/access-requests?as=manager`: the requests whose manager the caller is. */
  as?: 'manager';
  limit?: number;
  offset?: number;
}

export interface AccessRequestList {
  items: AccessRequest[];
  total: number;
}

/** `PUT`/`DELETE /conversations/:id/labels/:labelId`. */
export interface ConversationLabelsChange {
  labels: ConversationLabel[];
  changed: boolean;
}

/** A period of calendar days (`YYYY-MM-DD`, inclusive; default: the last 7 days). */
export interface HealthPeriod {
  from?: string;
  to?: string;
}

/** Query of `GET /health/numbers`: numbers that need attention first. */
export interface NumberCoverageQuery extends HealthPeriod {
  /** A group's entity ref: its members' numbers. */
  group?: string;
  /** One attention, or `needed`: warning or failed. */
  attention?: RecordingAttention | 'needed';
  /** Part of the number or of its owner. */
  q?: string;
  limit?: number;
  offset?: number;
}

/** Query of `GET /health/alarms`. */
export interface RecordingAlarmQuery {
  /** One state or several (e.g. the unresolved ones: open and acknowledged). */
  state?: RecordingAlarmState | RecordingAlarmState[];
  kind?: RecordingAlarmKind;
  numberId?: string;
  limit?: number;
  offset?: number;
}

/** Query of `GET /archive-jobs` (the archive work queue's jobs, newest first). */
export interface ArchiveJobQuery {
  state?: ArchiveJobState;
  kind?: ArchiveJobKind;
  limit?: number;
  /** the previous page's `nextCursor` */
  cursor?: string;
}

/** Formats of the daily recording assurance report. */
export type AssuranceReportFormat = 'csv' | 'html';

/** Placing a legal hold on a case (docs/legal-hold.md). */
export interface PlaceLegalHoldRequest {
  caseId: string;
  reason: string;
  /** The matter's reference: court, regulator, internal ticket. */
  reference: string;
}

/** Client of the voice-recording backend (REST contract: docs/api.md). */
export interface VoiceRecordingApi {
  listNumbers(query?: NumberQuery): Promise<NumberList>;
  getNumber(id: string): Promise<RecordedNumberWithStatus>;
  getNumberByPhone(number: string): Promise<RecordedNumberWithStatus>;
  createNumber(request: CreateNumberRequest): Promise<RecordedNumberWithStatus>;
  updateNumber(
    id: string,
    request: UpdateNumberRequest,
  ): Promise<RecordedNumberWithStatus>;
  deleteNumber(id: string): Promise<void>;
  addSlot(id: string, slot: TimeSlot): Promise<RecordedNumberWithStatus>;
  deleteSlot(id: string, slotId: string): Promise<RecordedNumberWithStatus>;
  applyPlanningModel(
    id: string,
    planningModelId: string,
  ): Promise<RecordedNumberWithStatus>;
  setProfessionalMode(
    id: string,
    enabled: boolean,
  ): Promise<RecordedNumberWithStatus>;
  getMyNumbers(): Promise<{ items: RecordedNumberWithStatus[] }>;

  listPlanningModels(): Promise<{ items: PlanningModel[] }>;
  getPlanningModel(id: string): Promise<PlanningModel>;
  createPlanningModel(input: PlanningModelInput): Promise<PlanningModel>;
  updatePlanningModel(
    id: string,
    input: PlanningModelInput,
  ): Promise<PlanningModel>;
  deletePlanningModel(id: string): Promise<void>;

  downloadBulkTemplate(): Promise<DownloadedFile>;
  exportBulk(): Promise<DownloadedFile>;
  importBulk(
    csv: string,
    options?: { dryRun?: boolean },
  ): Promise<BulkImportResult>;

  listConversations(query?: ConversationQuery): Promise<ConversationList>;
  /** Details of one conversation (audited as a view by the backend). */
  getConversation(id: string): Promise<ConversationDetail>;
  /**
   * Peaks of both channels. The backend computes them on the first request (seconds
   * for a long call): abort with `signal` when leaving the page, so that the request
   * does not hold one of the browser's few connections to the backend meanwhile.
   */
  getWaveform(
    id: string,
    points?: number,
    options?: { signal?: AbortSignal },
  ): Promise<Waveform>;
  /** URL for `<audio src>`: authenticated by the user cookie (see `refreshAuthCookie`). */
  getAudioUrl(id: string, format?: AudioFormat): Promise<string>;
  /** Asks the backend for the Backstage user cookie; answers when it expires. */
  refreshAuthCookie(): Promise<{ expiresAt: string }>;
  /**
   * Tells the backend that the user started playing the conversation (audited
   * `conversation-playback`, once per start: the player calls it on its `play` event).
   */
  recordPlaybackStart(id: string, format: AudioFormat): Promise<void>;
  downloadConversation(id: string): Promise<DownloadedFile>;
  exportConversations(
    selection: ConversationFilters | { ids: string[] },
  ): Promise<DownloadedFile>;
  getAccessHistory(id: string): Promise<{ items: AuditEntry[] }>;
  listAudit(query?: AuditQuery): Promise<AuditList>;
  exportAuditCsv(query?: AuditQuery): Promise<DownloadedFile>;
  /**
   * `GET /audit/verify`: walks the audit trail's hash chain and its signed daily
   * heads (docs/audit-trail.md); audited.
   */
  verifyAuditTrail(): Promise<AuditChainVerification>;

  listLabels(): Promise<{ items: Label[] }>;
  createLabel(input: LabelInput): Promise<Label>;
  updateLabel(id: string, input: Partial<LabelInput>): Promise<Label>;
  listCases(query?: { status?: CaseStatus }): Promise<{ items: Case[] }>;
  getCase(id: string): Promise<Case>;
  listRequestableCases(): Promise<RequestableCases>;
  createCase(request: CreateCaseRequest): Promise<Case>;
  updateCase(id: string, request: UpdateCaseRequest): Promise<Case>;
  addConversationLabel(
    conversationId: string,
    labelId: string,
  ): Promise<ConversationLabelsChange>;
  removeConversationLabel(
    conversationId: string,
    labelId: string,
  ): Promise<ConversationLabelsChange>;

  /** The installation's signing key (every user of the suite). */
  getSigningKey(): Promise<SigningPublicKey>;
  /** The public key as a PEM file. */
  downloadSigningKey(): Promise<DownloadedFile>;
  /** A conversation's signatures, newest first, and its last verification. */
  getConversationSignatures(id: string): Promise<ConversationSignatures>;
  /** Re-hashes the stored archive and checks its signature (audited). */
  verifyConversation(id: string): Promise<RecordingVerification>;
  /** The Integrity section (admins: `compliance.manage`). */
  getIntegrityStatus(): Promise<IntegrityStatus>;
  /** Runs an integrity sweep now (admins). */
  runIntegritySweep(): Promise<IntegritySweep>;

  /** Legal holds, newest first (admins: `legal-hold.manage`). */
  listLegalHolds(query?: {
    state?: LegalHoldState;
    caseId?: string;
  }): Promise<{ items: LegalHold[] }>;
  getLegalHold(id: string): Promise<LegalHold>;
  placeLegalHold(request: PlaceLegalHoldRequest): Promise<LegalHold>;
  /** The first admin asks to release, with a reason. */
  requestLegalHoldRelease(id: string, reason: string): Promise<LegalHold>;
  /** A second admin (never the requester) releases the hold. */
  approveLegalHoldRelease(id: string, comment?: string): Promise<LegalHold>;
  /** A second admin refuses the release, with a reason: the hold stands. */
  rejectLegalHoldRelease(id: string, reason: string): Promise<LegalHold>;
  /** The requester withdraws their release request. */
  cancelLegalHoldRelease(id: string, comment?: string): Promise<LegalHold>;

  /** Retention policies and the regulatory minimum (admins: `compliance.manage`). */
  listRetentionPolicies(): Promise<RetentionOverview>;
  createRetentionPolicy(input: RetentionPolicyInput): Promise<unknown>;
  updateRetentionPolicy(
    id: string,
    input: RetentionPolicyInput,
  ): Promise<unknown>;
  deleteRetentionPolicy(id: string): Promise<void>;
  /** Conversations due within `days` (held ones flagged: they stay). */
  listUpcomingDisposals(query?: {
    days?: number;
    limit?: number;
    offset?: number;
  }): Promise<UpcomingDisposalPage>;
  /** The disposal log: what remains of disposed conversations. */
  listDisposals(query?: DisposalQuery): Promise<DisposalRecordPage>;
  exportDisposalsCsv(query?: DisposalQuery): Promise<DownloadedFile>;
  listDisposalRuns(): Promise<{ items: DisposalRunView[]; total: number }>;
  /** What a run now would dispose of (audited). */
  disposalDryRun(): Promise<DisposalDryRunResult>;
  /** Runs the disposal job now (audited). */
  runDisposal(): Promise<DisposalRunSummary>;

  createAccessRequest(request: CreateAccessRequest): Promise<AccessRequest>;
  /** The caller's requests (or, with `as: 'manager'`, those they manage). */
  listMyAccessRequests(query?: AccessRequestQuery): Promise<AccessRequestList>;
  /** Every request (admins: `access-request.decide`). */
  listAccessRequests(query?: AccessRequestQuery): Promise<AccessRequestList>;
  getAccessRequest(id: string): Promise<AccessRequest>;
  approveAccessRequest(id: string, comment?: string): Promise<AccessRequest>;
  /** The comment is required. */
  rejectAccessRequest(id: string, comment: string): Promise<AccessRequest>;
  managerApproveAccessRequest(
    id: string,
    comment?: string,
  ): Promise<AccessRequest>;
  managerRejectAccessRequest(
    id: string,
    comment: string,
  ): Promise<AccessRequest>;
  revokeAccessRequest(id: string, comment?: string): Promise<AccessRequest>;

  /** Whether the caller needs an observer's confirmation to open recordings. */
  getFourEyesStatus(): Promise<FourEyesStatus>;
  /** The flagged caller asks their observer for a session. */
  askFourEyesConfirmation(): Promise<FourEyesSession>;
  /** The pending sessions the caller may confirm as an observer. */
  listFourEyesConfirmations(): Promise<{ items: FourEyesSession[] }>;
  confirmFourEyesSession(id: string): Promise<FourEyesSession>;
  rejectFourEyesSession(id: string): Promise<FourEyesSession>;
  /** The users flagged four-eyes (admins: `four-eyes.manage`). */
  listFourEyesUsers(): Promise<{ items: FourEyesFlag[] }>;
  setFourEyesUser(userRef: string, observerRef: string): Promise<FourEyesFlag>;
  clearFourEyesUser(userRef: string): Promise<void>;

  /** Recording health (admins: `health.read`): overall and per-group coverage. */
  getHealthSummary(period?: HealthPeriod): Promise<RecordingHealthSummary>;
  /** Coverage per recorded number, those that need attention first. */
  listNumberCoverage(query?: NumberCoverageQuery): Promise<NumberCoverageList>;
  /** One number's coverage per day, with its alarms of the period. */
  getNumberCoverage(
    numberId: string,
    period?: HealthPeriod,
  ): Promise<NumberCoverageDetail>;
  listRecordingAlarms(query?: RecordingAlarmQuery): Promise<RecordingAlarmList>;
  /** Acknowledges an alarm (`health.acknowledge`); the comment is required. */
  acknowledgeRecordingAlarm(
    id: string,
    comment: string,
  ): Promise<RecordingAlarm>;
  /** The archive work queue's figures per kind (`health.read`). */
  getArchiveQueueSummary(): Promise<ArchiveQueueSummary>;
  /** The archive work queue's jobs, newest first, a page at a time (`health.read`). */
  listArchiveJobs(query?: ArchiveJobQuery): Promise<ArchiveJobList>;
  /** Queues a dead archive job again (`health.acknowledge`; audited). */
  retryArchiveJob(id: string): Promise<ArchiveJobView>;
  /** The daily recording assurance report of `day` (`YYYY-MM-DD`). */
  downloadAssuranceReport(
    day: string,
    format: AssuranceReportFormat,
  ): Promise<DownloadedFile>;

  /**
   * Regulator and client exports (`conversation.export`): a package of a case, a
   * search or one number's calls for a period, built in the background.
   */
  createExport(request: {
    scope: ExportScope;
    includeMp3?: boolean;
  }): Promise<ExportJob>;
  /** The caller's export jobs, newest first (`all`: everybody's, compliance managers). */
  listExports(query?: { requestedBy?: 'me' | 'all' }): Promise<{
    items: ExportJob[];
  }>;
  getExport(id: string): Promise<ExportJob>;
  /** The package (ZIP) of a done job. */
  downloadExport(id: string): Promise<DownloadedFile>;
  /** Deletes a job: stops its build, deletes its package. */
  deleteExport(id: string): Promise<void>;
}

export const voiceRecordingApiRef = createApiRef<VoiceRecordingApi>().with({
  id: 'plugin.voice-recording.api',
  pluginId: 'voice-recording',
});
