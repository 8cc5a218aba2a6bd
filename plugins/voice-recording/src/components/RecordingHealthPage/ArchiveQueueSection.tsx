import { useEffect, useId, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { Button, Flex, Link, Skeleton, Text } from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import type {
  ArchiveJobKind,
  ArchiveJobView,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { conversationDetailRouteRef } from '../../routes';
import { DataTable, Td, Th } from '../ConversationsPage/DataTable';
import { formatDateTime } from '../ConversationsPage/format';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { FormDialog, useSubmission } from '../FormDialog/FormDialog';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

/** Dead jobs shown per page. */
export const DEAD_JOBS_PAGE_SIZE = 20;

export const ARCHIVE_JOB_KIND_LABELS: Record<ArchiveJobKind, string> = {
  upload: 'Upload to object storage',
  compress: 'Compression (Opus)',
  derive: 'Derived files (MP3, waveform)',
};

/** An age in seconds as people read it: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`; `—` for none. */
export function formatAge(seconds: number): string {
  if (!(seconds > 0)) return '—';
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

function kindLabel(kind: string): string {
  return ARCHIVE_JOB_KIND_LABELS[kind as ArchiveJobKind] ?? kind;
}

/** Confirms the retry of a dead job; the backend's refusal stays in the dialog. */
function RetryArchiveJobDialog(props: {
  job: ArchiveJobView;
  onClose: () => void;
  onDone: (job: ArchiveJobView) => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const { job } = props;
  const { busy, error, run } = useSubmission();
  return (
    <FormDialog
      title="Retry archive job"
      error={error}
      errorTitle="Not retried"
      confirmLabel="Retry"
      busy={busy}
      onConfirm={() =>
        run(async () => props.onDone(await api.retryArchiveJob(job.id)))
      }
      onClose={props.onClose}
    >
      <Text as="p" data-testid="retry-job-what">
        {kindLabel(job.kind)}: {job.subject}
      </Text>
      <Text as="p" variant="body-small" color="secondary">
        The job is queued again with all its {job.maxAttempts} attempts; any
        worker that takes this kind of job picks it up. Retry once the cause of
        its error is dealt with. Your name is kept in the audit trail.
      </Text>
    </FormDialog>
  );
}

/**
 * The archive work queue on the Recording health page (admins; docs/deployment.md
 * "Archive work queue"): per kind of job how many are queued, running and dead and how
 * old the oldest open one is; then the dead jobs (attempts used up or a permanent
 * error), newest first, with their error, their conversation and, for those allowed
 * (`canRetry`), a Retry button that asks first.
 */
export function ArchiveQueueSection(props: { canRetry: boolean }) {
  const api = useApi(voiceRecordingApiRef);
  const conversationLink = useRouteRef(conversationDetailRouteRef);
  const headingId = useId();
  const [reload, setReload] = useState(0);
  const [retrying, setRetrying] = useState<ArchiveJobView>();
  const [done, setDone] = useState<string>();
  const [cursor, setCursor] = useState<string>();
  const [dead, setDead] = useState<ArchiveJobView[]>([]);

  const summary = useAsync(() => api.getArchiveQueueSummary(), [api, reload]);
  const page = useAsync(
    async () => ({
      cursor,
      list: await api.listArchiveJobs({
        state: 'dead',
        limit: DEAD_JOBS_PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      }),
    }),
    [api, reload, cursor],
  );
  // pages add up (the page of a cursor after the ones shown); the first page replaces
  useEffect(() => {
    if (!page.value) return;
    const { cursor: after, list } = page.value;
    setDead(prev => (after ? [...prev, ...list.items] : list.items));
  }, [page.value]);
  const nextCursor = page.value?.list.nextCursor;

  const refresh = () => {
    setCursor(undefined);
    setReload(r => r + 1);
  };

  const kinds = summary.value?.kinds ?? [];
  const open = kinds.reduce((n, k) => n + k.queued + k.running, 0);
  const deadTotal = kinds.reduce((n, k) => n + k.dead, 0);

  return (
    <Flex
      direction="column"
      gap="2"
      data-testid="archive-queue"
      aria-labelledby={headingId}
      role="region"
    >
      <Flex justify="between" align="center">
        <Text as="h2" variant="title-x-small" id={headingId}>
          Archive queue
        </Text>
        <Button size="small" variant="secondary" onPress={refresh}>
          Refresh
        </Button>
      </Flex>
      <Text as="p" variant="body-small" color="secondary" style={{ margin: 0 }}>
        Uploads of recordings to object storage, compression and derived files
        wait here for a recorder or archiver to take them. A job that failed on
        all its attempts is dead until an administrator retries it.
      </Text>
      {done && <SuccessAlert>{done}</SuccessAlert>}
      <ErrorAlert error={summary.error} />
      {summary.loading && !summary.value && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Loading the archive queue"
        />
      )}
      {summary.value && (
        <div style={{ overflowX: 'auto' }}>
          <DataTable
            aria-label="Archive queue per kind of job"
            data-testid="archive-queue-kinds"
          >
            <thead>
              <tr>
                <Th>Job</Th>
                <Th>Queued</Th>
                <Th>Running</Th>
                <Th>Dead</Th>
                <Th>Oldest waiting</Th>
              </tr>
            </thead>
            <tbody>
              {kinds.map(k => (
                <tr key={k.kind} data-testid={`archive-kind-${k.kind}`}>
                  <Td>{kindLabel(k.kind)}</Td>
                  <Td>{k.queued}</Td>
                  <Td>{k.running}</Td>
                  <Td>{k.dead}</Td>
                  <Td>{formatAge(k.oldestAgeSeconds)}</Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          {open === 0 && deadTotal === 0 && (
            <Text
              as="p"
              variant="body-small"
              data-testid="archive-queue-empty"
              style={{ marginBottom: 0 }}
            >
              The queue is empty: all archive work is done.
            </Text>
          )}
        </div>
      )}

      <Text as="h3" variant="body-medium" weight="bold" style={{ margin: 0 }}>
        Dead jobs
      </Text>
      <ErrorAlert error={page.error} />
      {page.loading && dead.length === 0 && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Loading the dead jobs"
        />
      )}
      {(page.value || dead.length > 0) && (
        <div style={{ overflowX: 'auto' }} aria-busy={page.loading}>
          <DataTable aria-label="Dead archive jobs" data-testid="dead-jobs">
            <thead>
              <tr>
                <Th>Job</Th>
                <Th>Conversation</Th>
                <Th>Error</Th>
                <Th>Attempts</Th>
                <Th>Died</Th>
                <Th>Action</Th>
              </tr>
            </thead>
            <tbody>
              {dead.length === 0 && !page.loading && (
                <tr>
                  <Td colSpan={6} data-testid="dead-jobs-empty">
                    No dead jobs.
                  </Td>
                </tr>
              )}
              {dead.map(job => (
                <tr key={job.id} data-testid={`dead-job-${job.id}`}>
                  <Td>
                    {kindLabel(job.kind)}
                    <Text
                      as="p"
                      variant="body-small"
                      color="secondary"
                      style={{ margin: 0, overflowWrap: 'anywhere' }}
                    >
                      {job.subject}
                    </Text>
                  </Td>
                  <Td>
                    {job.conversationId ? (
                      <Link
                        href={
                          conversationLink?.({ id: job.conversationId }) ??
                          `/voice-recording/conversations/${encodeURIComponent(
                            job.conversationId,
                          )}`
                        }
                      >
                        Open conversation
                      </Link>
                    ) : (
                      '—'
                    )}
                  </Td>
                  <Td
                    data-testid={`dead-job-error-${job.id}`}
                    style={{ overflowWrap: 'anywhere', maxWidth: '28rem' }}
                  >
                    {job.lastError ?? '—'}
                  </Td>
                  <Td>
                    {job.attempts} of {job.maxAttempts}
                  </Td>
                  <Td>{formatDateTime(job.finishedAt ?? job.updatedAt)}</Td>
                  <Td>
                    {props.canRetry ? (
                      <Button
                        size="small"
                        variant="secondary"
                        aria-label={`Retry the job: ${kindLabel(job.kind)} ${
                          job.subject
                        }`}
                        onPress={() => {
                          setDone(undefined);
                          setRetrying(job);
                        }}
                      >
                        Retry
                      </Button>
                    ) : (
                      '—'
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          {nextCursor && (
            <Button
              size="small"
              variant="secondary"
              isDisabled={page.loading}
              onPress={() => setCursor(nextCursor)}
            >
              Show more dead jobs
            </Button>
          )}
        </div>
      )}

      {retrying && (
        <RetryArchiveJobDialog
          job={retrying}
          onClose={() => setRetrying(undefined)}
          onDone={job => {
            setRetrying(undefined);
            setDone(
              `Queued again: ${kindLabel(job.kind)} ${job.subject} (job ${
                job.id
              })`,
            );
            refresh();
          }}
        />
      )}
    </Flex>
  );
}
