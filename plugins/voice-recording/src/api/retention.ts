import type {
  DisposalRecord,
  UpcomingDisposal,
} from '@mvr/plugin-voice-recording-common';

/** Retention policies and disposals (docs/retention.md, docs/api.md "Retention and disposal"). */

export type {
  DisposalDryRunResult,
  DisposalRunSummary,
  RetentionOverview,
  RetentionPolicyInput,
  RetentionPolicyView,
} from '@mvr/plugin-voice-recording-common';

/** `GET /retention/upcoming` */
export interface UpcomingDisposalPage {
  until: string;
  items: UpcomingDisposal[];
  total: number;
  held: number;
}

/** A run of the disposal job. */
export interface DisposalRunView {
  id: string;
  trigger: 'scheduled' | 'manual';
  requestedBy: string;
  startedAt: string;
  finishedAt?: string;
  state: 'running' | 'done' | 'failed' | 'interrupted';
  disposed: number;
  held: number;
  failed: number;
  error?: string;
}

/** `GET /disposals` filters */
export interface DisposalQuery {
  from?: string;
  to?: string;
  number?: string;
  runId?: string;
  limit?: number;
  offset?: number;
}

export interface DisposalRecordPage {
  items: DisposalRecord[];
  total: number;
}
