import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  NumberSettings,
  NumberStatus,
  PlanningModel,
  RecordedNumberWithStatus,
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
}

export const voiceRecordingApiRef = createApiRef<VoiceRecordingApi>().with({
  id: 'plugin.voice-recording.api',
  pluginId: 'voice-recording',
});
