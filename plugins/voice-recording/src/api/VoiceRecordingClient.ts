import type { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import type {
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
import type {
  AccessRequest,
  ArchiveJobList,
  ArchiveJobView,
  ArchiveQueueSummary,
  AuditChainVerification,
  Case,
  CaseStatus,
  FourEyesFlag,
  FourEyesSession,
  FourEyesStatus,
  Label,
  LegalHold,
  LegalHoldState,
  NumberCoverageDetail,
  NumberCoverageList,
  PlanningModel,
  RecordedNumberWithStatus,
  RecordingAlarm,
  RecordingAlarmList,
  RecordingHealthSummary,
  TimeSlot,
} from '@mvr/plugin-voice-recording-common';
import {
  AccessRequestList,
  AccessRequestQuery,
  ArchiveJobQuery,
  AssuranceReportFormat,
  AuditEntry,
  AuditList,
  AuditQuery,
  AudioFormat,
  BulkImportResult,
  ConversationDetail,
  ConversationFilters,
  ConversationLabelsChange,
  ConversationList,
  ConversationQuery,
  CreateAccessRequest,
  CreateCaseRequest,
  RequestableCases,
  PlaceLegalHoldRequest,
  CreateNumberRequest,
  DownloadedFile,
  HealthPeriod,
  LabelInput,
  NumberCoverageQuery,
  NumberList,
  NumberQuery,
  PlanningModelInput,
  RecordingAlarmQuery,
  UpdateCaseRequest,
  UpdateNumberRequest,
  VoiceRecordingApi,
  Waveform,
} from './VoiceRecordingApi';
import { toResponseError } from './errors';

const PLUGIN_ID = 'voice-recording';

/** Reads the file name of a `Content-Disposition: attachment; filename=...` header. */
export function fileNameFromDisposition(
  header: string | null,
  fallback: string,
): string {
  if (!header) return fallback;
  const star = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star) return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1].trim() : fallback;
}

type QueryValue = string | number | boolean | undefined | null;

/**
 * `?a=1&b=x` from the given parameters, in their order, leaving out absent and empty
 * values; '' when nothing is left.
 */
export function queryString(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' && value.trim() === '') continue;
    if (typeof value === 'number' && !Number.isFinite(value)) continue;
    search.set(key, String(value));
  }
  const qs = search.toString();
  return qs ? `?${qs}` : '';
}

/** The filters of a conversation search, without sort and paging (export body). */
export function conversationFilters(
  query: ConversationQuery,
): ConversationFilters {
  const filters: ConversationFilters = {
    from: query.from,
    to: query.to,
    phone: query.phone,
    userRef: query.userRef,
    user: query.user,
    group: query.group,
    hasDtmf: query.hasDtmf,
    direction: query.direction,
    minDuration: query.minDuration,
    maxDuration: query.maxDuration,
    number: query.number,
    state: query.state,
    audioIssue: query.audioIssue,
    quality: query.quality,
    label: query.label,
    case: query.case,
    legalHold: query.legalHold,
  };
  return Object.fromEntries(
    Object.entries(filters).filter(
      ([, v]) =>
        v !== undefined && v !== null && !(typeof v === 'string' && !v.trim()),
    ),
  ) as ConversationFilters;
}

/** Fetches the voice-recording backend through Backstage's discovery and fetch APIs (auth included). */
export class VoiceRecordingClient implements VoiceRecordingApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl(PLUGIN_ID);
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, init);
    if (!response.ok) {
      throw await toResponseError(response);
    }
    return response;
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.request(path, init);
    return (await response.json()) as T;
  }

  private async send<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    return this.json<T>(path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async download(
    path: string,
    fallbackName: string,
    init: RequestInit = { headers: { Accept: 'text/csv' } },
  ): Promise<DownloadedFile> {
    const response = await this.request(path, init);
    return {
      blob: await response.blob(),
      fileName: fileNameFromDisposition(
        response.headers.get('Content-Disposition'),
        fallbackName,
      ),
    };
  }

  listNumbers(query: NumberQuery = {}): Promise<NumberList> {
    const params = new URLSearchParams();
    if (query.q) params.set('q', query.q);
    if (query.userRef) params.set('userRef', query.userRef);
    if (query.status) params.set('status', query.status);
    if (query.mvrActive !== undefined)
      params.set('mvrActive', String(query.mvrActive));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.offset !== undefined) params.set('offset', String(query.offset));
    const qs = params.toString();
    return this.json(`/numbers${qs ? `?${qs}` : ''}`);
  }

  getNumber(id: string): Promise<RecordedNumberWithStatus> {
    return this.json(`/numbers/${encodeURIComponent(id)}`);
  }

  getNumberByPhone(number: string): Promise<RecordedNumberWithStatus> {
    return this.json(`/numbers/by-number/${encodeURIComponent(number)}`);
  }

  createNumber(
    request: CreateNumberRequest,
  ): Promise<RecordedNumberWithStatus> {
    return this.send('POST', '/numbers', request);
  }

  updateNumber(
    id: string,
    request: UpdateNumberRequest,
  ): Promise<RecordedNumberWithStatus> {
    return this.send('PATCH', `/numbers/${encodeURIComponent(id)}`, request);
  }

  async deleteNumber(id: string): Promise<void> {
    await this.request(`/numbers/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }

  addSlot(id: string, slot: TimeSlot): Promise<RecordedNumberWithStatus> {
    return this.send('POST', `/numbers/${encodeURIComponent(id)}/slots`, slot);
  }

  deleteSlot(id: string, slotId: string): Promise<RecordedNumberWithStatus> {
    return this.json(
      `/numbers/${encodeURIComponent(id)}/slots/${encodeURIComponent(slotId)}`,
      { method: 'DELETE' },
    );
  }

  applyPlanningModel(
    id: string,
    planningModelId: string,
  ): Promise<RecordedNumberWithStatus> {
    return this.send(
      'POST',
      `/numbers/${encodeURIComponent(id)}/apply-planning-model`,
      {
        planningModelId,
      },
    );
  }

  setProfessionalMode(
    id: string,
    enabled: boolean,
  ): Promise<RecordedNumberWithStatus> {
    return this.send(
      'POST',
      `/numbers/${encodeURIComponent(id)}/professional-mode`,
      { enabled },
    );
  }

  getMyNumbers(): Promise<{ items: RecordedNumberWithStatus[] }> {
    return this.json('/me/numbers');
  }

  listPlanningModels(): Promise<{ items: PlanningModel[] }> {
    return this.json('/planning-models');
  }

  getPlanningModel(id: string): Promise<PlanningModel> {
    return this.json(`/planning-models/${encodeURIComponent(id)}`);
  }

  createPlanningModel(input: PlanningModelInput): Promise<PlanningModel> {
    return this.send('POST', '/planning-models', input);
  }

  updatePlanningModel(
    id: string,
    input: PlanningModelInput,
  ): Promise<PlanningModel> {
    return this.send(
      'PUT',
      `/planning-models/${encodeURIComponent(id)}`,
      input,
    );
  }

  async deletePlanningModel(id: string): Promise<void> {
    await this.request(`/planning-models/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }

  downloadBulkTemplate(): Promise<DownloadedFile> {
    return this.download('/bulk/template', 'voice-recording-template.csv');
  }

  exportBulk(): Promise<DownloadedFile> {
    return this.download('/bulk/export', 'voice-recording-export.csv');
  }

  importBulk(
    csv: string,
    options: { dryRun?: boolean } = {},
  ): Promise<BulkImportResult> {
    return this.json(`/bulk/import${options.dryRun ? '?dryRun=true' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body: csv,
    });
  }

  listConversations(query: ConversationQuery = {}): Promise<ConversationList> {
    return this.json(
      `/conversations${queryString({
        ...conversationFilters(query),
        sort: query.sort,
        order: query.order,
        limit: query.limit,
        cursor: query.cursor,
      })}`,
    );
  }

  getConversation(id: string): Promise<ConversationDetail> {
    return this.json(`/conversations/${encodeURIComponent(id)}`);
  }

  getWaveform(
    id: string,
    points?: number,
    options?: { signal?: AbortSignal },
  ): Promise<Waveform> {
    return this.json(
      `/conversations/${encodeURIComponent(id)}/waveform${queryString({
        points,
      })}`,
      options?.signal ? { signal: options.signal } : undefined,
    );
  }

  async getAudioUrl(id: string, format?: AudioFormat): Promise<string> {
    const baseUrl = await this.discoveryApi.getBaseUrl(PLUGIN_ID);
    return `${baseUrl}/conversations/${encodeURIComponent(
      id,
    )}/audio${queryString({ format })}`;
  }

  refreshAuthCookie(): Promise<{ expiresAt: string }> {
    // The well-known endpoint of every Backstage backend plugin (as techdocs uses it):
    // sets the user cookie that authenticates <audio src> requests.
    return this.json('/.backstage/auth/v1/cookie', { credentials: 'include' });
  }

  async recordPlaybackStart(id: string, format: AudioFormat): Promise<void> {
    await this.request(`/conversations/${encodeURIComponent(id)}/playback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ format }),
    });
  }

  /**
   * The conversation's MP3. A long call's MP3 is built by a job on the backend, which
   * answers 202 with the seconds to wait meanwhile: asked again until it is there (at
   * most `maxWaitMs`, default 15 minutes).
   */
  async downloadConversation(
    id: string,
    options: { maxWaitMs?: number; sleep?: (ms: number) => Promise<void> } = {},
  ): Promise<DownloadedFile> {
    const path = `/conversations/${encodeURIComponent(id)}/download`;
    const sleep =
      options.sleep ?? ((ms: number) => new Promise<void>(r => setTimeout(r, ms)));
    const maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
    let waitedMs = 0;
    for (;;) {
      const response = await this.request(path, {
        headers: { Accept: 'audio/mpeg' },
      });
      if (response.status !== 202) {
        return {
          blob: await response.blob(),
          fileName: fileNameFromDisposition(
            response.headers.get('Content-Disposition'),
            `conversation-${id}.mp3`,
          ),
        };
      }
      const body = (await response.json().catch(() => ({}))) as {
        retryAfterSeconds?: number;
      };
      const seconds = Number(
        body.retryAfterSeconds ?? response.headers.get('Retry-After') ?? 5,
      );
      const waitMs =
        Math.min(30, Math.max(1, Number.isFinite(seconds) ? seconds : 5)) * 1000;
      if (waitedMs + waitMs > maxWaitMs) {
        throw new Error(
          `The MP3 of conversation ${id} is still being prepared; try again in a few minutes`,
        );
      }
      await sleep(waitMs);
      waitedMs += waitMs;
    }
  }

  exportConversations(
    selection: ConversationFilters | { ids: string[] },
  ): Promise<DownloadedFile> {
    const body =
      'ids' in selection && Array.isArray(selection.ids)
        ? { ids: selection.ids }
        : conversationFilters(selection as ConversationFilters);
    return this.download('/conversations/export', 'conversations.zip', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/zip',
      },
      body: JSON.stringify(body),
    });
  }

  getAccessHistory(id: string): Promise<{ items: AuditEntry[] }> {
    return this.json(`/conversations/${encodeURIComponent(id)}/access-history`);
  }

  listAudit(query: AuditQuery = {}): Promise<AuditList> {
    return this.json(`/audit${auditQueryString(query)}`);
  }

  verifyAuditTrail(): Promise<AuditChainVerification> {
    return this.json('/audit/verify');
  }

  exportAuditCsv(query: AuditQuery = {}): Promise<DownloadedFile> {
    const { limit: _limit, offset: _offset, ...filters } = query;
    return this.download(
      `/audit${auditQueryString(filters, { format: 'csv' })}`,
      'voice-recording-audit.csv',
    );
  }

  listLabels(): Promise<{ items: Label[] }> {
    return this.json('/labels');
  }

  createLabel(input: LabelInput): Promise<Label> {
    return this.send('POST', '/labels', input);
  }

  updateLabel(id: string, input: Partial<LabelInput>): Promise<Label> {
    return this.send('PATCH', `/labels/${encodeURIComponent(id)}`, input);
  }

  listCases(query: { status?: CaseStatus } = {}): Promise<{ items: Case[] }> {
    return this.json(`/cases${queryString({ status: query.status })}`);
  }

  getCase(id: string): Promise<Case> {
    return this.json(`/cases/${encodeURIComponent(id)}`);
  }

  listRequestableCases(): Promise<RequestableCases> {
    return this.json('/requestable-cases');
  }

  createCase(request: CreateCaseRequest): Promise<Case> {
    return this.send('POST', '/cases', request);
  }

  updateCase(id: string, request: UpdateCaseRequest): Promise<Case> {
    return this.send('PATCH', `/cases/${encodeURIComponent(id)}`, request);
  }

  addConversationLabel(
    conversationId: string,
    labelId: string,
  ): Promise<ConversationLabelsChange> {
    return this.send('PUT', conversationLabelPath(conversationId, labelId));
  }

  removeConversationLabel(
    conversationId: string,
    labelId: string,
  ): Promise<ConversationLabelsChange> {
    return this.send('DELETE', conversationLabelPath(conversationId, labelId));
  }

  getSigningKey(): Promise<SigningPublicKey> {
    return this.json('/signing/public-key');
  }

  downloadSigningKey(): Promise<DownloadedFile> {
    return this.download(
      '/signing/public-key?format=pem',
      'voice-recording-signing-key.pem',
      { headers: { Accept: 'application/x-pem-file' } },
    );
  }

  getConversationSignatures(id: string): Promise<ConversationSignatures> {
    return this.json(`/conversations/${encodeURIComponent(id)}/signatures`);
  }

  verifyConversation(id: string): Promise<RecordingVerification> {
    return this.send(
      'POST',
      `/conversations/${encodeURIComponent(id)}/verify`,
      {},
    );
  }

  getIntegrityStatus(): Promise<IntegrityStatus> {
    return this.json('/integrity');
  }

  runIntegritySweep(): Promise<IntegritySweep> {
    return this.send('POST', '/integrity/sweep', {});
  }

  listLegalHolds(
    query: { state?: LegalHoldState; caseId?: string } = {},
  ): Promise<{ items: LegalHold[] }> {
    return this.json(
      `/legal-holds${queryString({
        state: query.state,
        caseId: query.caseId,
      })}`,
    );
  }

  getLegalHold(id: string): Promise<LegalHold> {
    return this.json(`/legal-holds/${encodeURIComponent(id)}`);
  }

  placeLegalHold(request: PlaceLegalHoldRequest): Promise<LegalHold> {
    return this.send('POST', '/legal-holds', request);
  }

  requestLegalHoldRelease(id: string, reason: string): Promise<LegalHold> {
    return this.send(
      'POST',
      `/legal-holds/${encodeURIComponent(id)}/release-request`,
      { reason },
    );
  }

  approveLegalHoldRelease(id: string, comment?: string): Promise<LegalHold> {
    return this.send(
      'POST',
      `/legal-holds/${encodeURIComponent(id)}/release-approve`,
      comment ? { comment } : {},
    );
  }

  rejectLegalHoldRelease(id: string, reason: string): Promise<LegalHold> {
    return this.send(
      'POST',
      `/legal-holds/${encodeURIComponent(id)}/release-reject`,
      { reason },
    );
  }

  cancelLegalHoldRelease(id: string, comment?: string): Promise<LegalHold> {
    return this.send(
      'POST',
      `/legal-holds/${encodeURIComponent(id)}/release-cancel`,
      comment ? { comment } : {},
    );
  }

  listRetentionPolicies(): Promise<RetentionOverview> {
    return this.json('/retention/policies');
  }

  createRetentionPolicy(input: RetentionPolicyInput): Promise<unknown> {
    return this.send('POST', '/retention/policies', input);
  }

  updateRetentionPolicy(
    id: string,
    input: RetentionPolicyInput,
  ): Promise<unknown> {
    return this.send(
      'PUT',
      `/retention/policies/${encodeURIComponent(id)}`,
      input,
    );
  }

  async deleteRetentionPolicy(id: string): Promise<void> {
    await this.request(`/retention/policies/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }

  listUpcomingDisposals(
    query: { days?: number; limit?: number; offset?: number } = {},
  ): Promise<UpcomingDisposalPage> {
    return this.json(`/retention/upcoming${queryString(query)}`);
  }

  listDisposals(query: DisposalQuery = {}): Promise<DisposalRecordPage> {
    return this.json(`/disposals${queryString({ ...query })}`);
  }

  exportDisposalsCsv(query: DisposalQuery = {}): Promise<DownloadedFile> {
    const { limit: _limit, offset: _offset, ...filters } = query;
    return this.download(
      `/disposals${queryString({ ...filters, format: 'csv', limit: 100000 })}`,
      'voice-recording-disposals.csv',
    );
  }

  listDisposalRuns(): Promise<{ items: DisposalRunView[]; total: number }> {
    return this.json('/disposals/runs');
  }

  disposalDryRun(): Promise<DisposalDryRunResult> {
    return this.send('POST', '/disposals/dry-run', {});
  }

  runDisposal(): Promise<DisposalRunSummary> {
    return this.send('POST', '/disposals/run', {});
  }

  createAccessRequest(request: CreateAccessRequest): Promise<AccessRequest> {
    return this.send('POST', '/access-requests', request);
  }

  listMyAccessRequests(
    query: AccessRequestQuery = {},
  ): Promise<AccessRequestList> {
    return this.json(`/me/access-requests${accessRequestQueryString(query)}`);
  }

  listAccessRequests(
    query: AccessRequestQuery = {},
  ): Promise<AccessRequestList> {
    return this.json(`/access-requests${accessRequestQueryString(query)}`);
  }

  getAccessRequest(id: string): Promise<AccessRequest> {
    return this.json(`/access-requests/${encodeURIComponent(id)}`);
  }

  approveAccessRequest(id: string, comment?: string): Promise<AccessRequest> {
    return this.decide(id, 'approve', comment);
  }

  rejectAccessRequest(id: string, comment: string): Promise<AccessRequest> {
    return this.decide(id, 'reject', comment);
  }

  managerApproveAccessRequest(
    id: string,
    comment?: string,
  ): Promise<AccessRequest> {
    return this.decide(id, 'manager-approve', comment);
  }

  managerRejectAccessRequest(
    id: string,
    comment: string,
  ): Promise<AccessRequest> {
    return this.decide(id, 'manager-reject', comment);
  }

  revokeAccessRequest(id: string, comment?: string): Promise<AccessRequest> {
    return this.decide(id, 'revoke', comment);
  }

  getFourEyesStatus(): Promise<FourEyesStatus> {
    return this.json('/me/four-eyes');
  }

  askFourEyesConfirmation(): Promise<FourEyesSession> {
    return this.send('POST', '/me/four-eyes/sessions');
  }

  listFourEyesConfirmations(): Promise<{ items: FourEyesSession[] }> {
    return this.json('/four-eyes/sessions');
  }

  confirmFourEyesSession(id: string): Promise<FourEyesSession> {
    return this.send(
      'POST',
      `/four-eyes/sessions/${encodeURIComponent(id)}/confirm`,
    );
  }

  rejectFourEyesSession(id: string): Promise<FourEyesSession> {
    return this.send(
      'POST',
      `/four-eyes/sessions/${encodeURIComponent(id)}/reject`,
    );
  }

  listFourEyesUsers(): Promise<{ items: FourEyesFlag[] }> {
    return this.json('/four-eyes/users');
  }

  setFourEyesUser(userRef: string, observerRef: string): Promise<FourEyesFlag> {
    return this.send('PUT', '/four-eyes/users', { userRef, observerRef });
  }

  async clearFourEyesUser(userRef: string): Promise<void> {
    await this.request(`/four-eyes/users/${encodeURIComponent(userRef)}`, {
      method: 'DELETE',
    });
  }

  getHealthSummary(period: HealthPeriod = {}): Promise<RecordingHealthSummary> {
    return this.json(
      `/health/summary${queryString({ from: period.from, to: period.to })}`,
    );
  }

  listNumberCoverage(
    query: NumberCoverageQuery = {},
  ): Promise<NumberCoverageList> {
    return this.json(
      `/health/numbers${queryString({
        from: query.from,
        to: query.to,
        group: query.group,
        attention: query.attention,
        q: query.q,
        limit: query.limit,
        offset: query.offset,
      })}`,
    );
  }

  getNumberCoverage(
    numberId: string,
    period: HealthPeriod = {},
  ): Promise<NumberCoverageDetail> {
    return this.json(
      `/health/numbers/${encodeURIComponent(numberId)}${queryString({
        from: period.from,
        to: period.to,
      })}`,
    );
  }

  listRecordingAlarms(
    query: RecordingAlarmQuery = {},
  ): Promise<RecordingAlarmList> {
    return this.json(
      `/health/alarms${queryString({
        state: Array.isArray(query.state) ? query.state.join(',') : query.state,
        kind: query.kind,
        numberId: query.numberId,
        limit: query.limit,
        offset: query.offset,
      })}`,
    );
  }

  acknowledgeRecordingAlarm(
    id: string,
    comment: string,
  ): Promise<RecordingAlarm> {
    return this.send(
      'POST',
      `/health/alarms/${encodeURIComponent(id)}/acknowledge`,
      { comment: comment.trim() },
    );
  }

  getArchiveQueueSummary(): Promise<ArchiveQueueSummary> {
    return this.json('/archive-jobs/summary');
  }

  listArchiveJobs(query: ArchiveJobQuery = {}): Promise<ArchiveJobList> {
    return this.json(
      `/archive-jobs${queryString({
        state: query.state,
        kind: query.kind,
        limit: query.limit,
        cursor: query.cursor,
      })}`,
    );
  }

  retryArchiveJob(id: string): Promise<ArchiveJobView> {
    return this.send(
      'POST',
      `/archive-jobs/${encodeURIComponent(id)}/retry`,
      {},
    );
  }

  downloadAssuranceReport(
    day: string,
    format: AssuranceReportFormat,
  ): Promise<DownloadedFile> {
    return this.download(
      `/health/report${queryString({ day, format })}`,
      `recording-assurance-${day}.${format}`,
      { headers: { Accept: format === 'csv' ? 'text/csv' : 'text/html' } },
    );
  }

  createExport(request: {
    scope: ExportScope;
    includeMp3?: boolean;
  }): Promise<ExportJob> {
    return this.send('POST', '/exports', request);
  }

  listExports(query: { requestedBy?: 'me' | 'all' } = {}): Promise<{
    items: ExportJob[];
  }> {
    return this.json(
      `/exports${queryString({ requestedBy: query.requestedBy })}`,
    );
  }

  getExport(id: string): Promise<ExportJob> {
    return this.json(`/exports/${encodeURIComponent(id)}`);
  }

  downloadExport(id: string): Promise<DownloadedFile> {
    return this.download(
      `/exports/${encodeURIComponent(id)}/download`,
      'voice-recording-export.zip',
      { headers: { Accept: 'application/zip' } },
    );
  }

  async deleteExport(id: string): Promise<void> {
    await this.request(`/exports/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }

  private decide(
    id: string,
    action:
      | 'approve'
      | 'reject'
      | 'manager-approve'
      | 'manager-reject'
      | 'revoke',
    comment?: string,
  ): Promise<AccessRequest> {
    const trimmed = comment?.trim();
    return this.send(
      'POST',
      `/access-requests/${encodeURIComponent(id)}/${action}`,
      trimmed ? { comment: trimmed } : {},
    );
  }
}

function conversationLabelPath(conversationId: string, labelId: string) {
  return `/conversations/${encodeURIComponent(
    conversationId,
  )}/labels/${encodeURIComponent(labelId)}`;
}

function accessRequestQueryString(query: AccessRequestQuery): string {
  return queryString({
    state: query.state,
    caseId: query.caseId,
    requester: query.requester,
    as: query.as,
    limit: query.limit,
    offset: query.offset,
  });
}

function auditQueryString(
  query: AuditQuery,
  extra: Record<string, QueryValue> = {},
): string {
  return queryString({
    actor: query.actor,
    action: query.action,
    target: query.target,
    targetType: query.targetType,
    from: query.from,
    to: query.to,
    limit: query.limit,
    offset: query.offset,
    ...extra,
  });
}
