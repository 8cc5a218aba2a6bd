import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Button,
  Cell,
  Column,
  Flex,
  Row,
  Skeleton,
  TableBody,
  TableHeader,
  TableRoot,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type { UpcomingDisposal } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { saveFile } from '../BulkSchedulingPage/files';
import { ConfirmDialog } from '../ConfirmDialog/ConfirmDialog';
import { formatDateTime } from '../ConversationsPage/format';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
import { PersonName } from '../PersonName/PersonName';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const DAYS = 30;

/** Why a due conversation stays, or what its disposal is waiting for. */
function dueStatus(d: UpcomingDisposal): { text: string; danger?: boolean } {
  if (d.legalHold) return { text: 'Legal hold: kept' };
  if (d.disposalState === 'delete-failed')
    return {
      text: `Deletion failed, retried next run: ${
        d.disposalError ?? ''
      }`.trim(),
      danger: true,
    };
  if (d.disposalState === 'locked')
    return {
      text: `Locked in object storage: ${d.disposalError ?? ''}`.trim(),
      danger: true,
    };
  if (d.disposalState === 'disposing') return { text: 'Being disposed of' };
  if (d.disposalState === 'held')
    return {
      text: d.disposalError ?? 'Legal hold came mid-disposal',
      danger: true,
    };
  return { text: new Date(d.retentionUntil) <= new Date() ? 'Due now' : 'Due' };
}

function UpcomingTable(props: {
  items: UpcomingDisposal[];
  label: string;
  testId: string;
}) {
  return (
    <TableRoot aria-label={props.label} data-testid={props.testId}>
      <TableHeader>
        <Column isRowHeader>Recorded number</Column>
        <Column>User</Column>
        <Column>Call started</Column>
        <Column>Retention end</Column>
        <Column>Policy</Column>
        <Column>Status</Column>
      </TableHeader>
      <TableBody renderEmptyState={() => <Text>Nothing due.</Text>}>
        {props.items.map(d => {
          const status = dueStatus(d);
          return (
            <Row key={d.conversationId} id={d.conversationId}>
              <Cell>{d.number}</Cell>
              <Cell>
                <PersonName entityRef={d.userRef} />
              </Cell>
              <Cell>{formatDateTime(d.startedAt)}</Cell>
              <Cell>{formatDateTime(d.retentionUntil)}</Cell>
              <Cell>{d.policyName ?? 'Regulatory minimum'}</Cell>
              <Cell>
                <span
                  style={
                    status.danger ? { color: READABLE_DANGER_TEXT } : undefined
                  }
                >
                  {status.text}
                </span>
              </Cell>
            </Row>
          );
        })}
      </TableBody>
    </TableRoot>
  );
}

/**
 * Disposals (Compliance, admins with `compliance.manage`): the conversations whose
 * retention ends within 30 days (held ones flagged: they stay), a dry run and a run of
 * the disposal job now, the disposal log (what remains of each disposed conversation)
 * with its CSV, and the job's recent runs.
 */
export function DisposalsPage() {
  const api = useApi(voiceRecordingApiRef);
  // bumped after a run: the lists are read again
  const [generation, setGeneration] = useState(0);
  const upcoming = useAsyncRetry(
    () => api.listUpcomingDisposals({ days: DAYS, limit: 200 }),
    [api, generation],
  );
  const log = useAsyncRetry(
    () => api.listDisposals({ limit: 100 }),
    [api, generation],
  );
  const runs = useAsyncRetry(() => api.listDisposalRuns(), [api, generation]);
  const [dry, runDry] = useAsyncFn(() => api.disposalDryRun(), [api]);
  const [confirming, setConfirming] = useState(false);
  const [run, runNow] = useAsyncFn(async () => {
    try {
      return await api.runDisposal();
    } finally {
      setGeneration(g => g + 1);
    }
  }, [api]);
  const [csv, downloadCsv] = useAsyncFn(async () => {
    const file = await api.exportDisposalsCsv({});
    saveFile(file.blob, file.fileName);
  }, [api]);

  return (
    <Flex direction="column" gap="5" style={{ minWidth: 0 }}>
      <Flex direction="column" gap="3">
        <Text as="h2" variant="title-small">
          Upcoming disposals (next {DAYS} days)
        </Text>
        {upcoming.loading && !upcoming.value && (
          <Skeleton width="100%" height={80} />
        )}
        <ErrorAlert
          error={upcoming.error}
          title="Upcoming disposals not loaded"
        />
        {upcoming.value && (
          <>
            <Text as="p" data-testid="upcoming-summary">
              {plural(upcoming.value.total, 'conversation')} due by{' '}
              {formatDateTime(upcoming.value.until)}, {upcoming.value.held} of
              them under legal hold (kept).
            </Text>
            <UpcomingTable
              items={upcoming.value.items}
              label="Upcoming disposals"
              testId="upcoming-table"
            />
          </>
        )}
        <Flex gap="2" style={{ flexWrap: 'wrap' }}>
          <Button
            variant="secondary"
            isDisabled={dry.loading}
            onPress={() => runDry()}
          >
            Dry run
          </Button>
          <Button
            variant="primary"
            destructive
            isDisabled={run.loading}
            onPress={() => setConfirming(true)}
          >
            Dispose of due conversations now
          </Button>
        </Flex>
        <ErrorAlert error={dry.error} title="Dry run failed" />
        {dry.value && (
          <Flex direction="column" gap="2" data-testid="dry-run-result">
            <Text as="p">
              Dry run: a run now would dispose of{' '}
              {plural(dry.value.total - dry.value.held, 'conversation')};{' '}
              {dry.value.held} under legal hold would stay.
            </Text>
            <UpcomingTable
              items={dry.value.items}
              label="Dry run: due now"
              testId="dry-run-table"
            />
          </Flex>
        )}
        <ErrorAlert error={run.error} title="Disposal run failed" />
        {run.value && (
          <SuccessAlert>
            Disposal run {run.value.state === 'done' ? 'finished' : 'failed'}:{' '}
            {plural(run.value.disposed, 'conversation')} disposed of,{' '}
            {run.value.held} held, {run.value.failed} failed
            {run.value.locked
              ? `, ${run.value.locked} locked in object storage (kept until their lock's date)`
              : ''}
            {run.value.error ? ` (${run.value.error})` : ''}
          </SuccessAlert>
        )}
      </Flex>

      <Flex direction="column" gap="3">
        <Flex justify="between" align="center" gap="3">
          <Text as="h2" variant="title-small">
            Disposal log
          </Text>
          <Button
            variant="secondary"
            isDisabled={csv.loading}
            onPress={() => downloadCsv()}
          >
            Download CSV
          </Button>
        </Flex>
        <ErrorAlert error={csv.error} title="CSV not downloaded" />
        <ErrorAlert error={log.error} title="Disposal log not loaded" />
        {log.value && (
          <TableRoot aria-label="Disposal log" data-testid="disposal-log">
            <TableHeader>
              <Column isRowHeader>Recorded number</Column>
              <Column>User</Column>
              <Column>Call</Column>
              <Column>SHA-256</Column>
              <Column>Policy</Column>
              <Column>Retention end</Column>
              <Column>Disposed of</Column>
            </TableHeader>
            <TableBody
              renderEmptyState={() => <Text>Nothing disposed of yet.</Text>}
            >
              {log.value.items.map(r => (
                <Row key={r.conversationId} id={r.conversationId}>
                  <Cell>{r.number}</Cell>
                  <Cell>
                    <PersonName entityRef={r.userRef} />
                  </Cell>
                  <Cell>
                    {formatDateTime(r.startedAt)}
                    {r.participants.length
                      ? ` — ${r.participants.join(', ')}`
                      : ''}
                  </Cell>
                  <Cell>
                    <code title={r.sha256}>
                      {r.sha256?.slice(0, 12) ?? '—'}
                    </code>
                  </Cell>
                  <Cell>{r.policyName ?? 'Regulatory minimum'}</Cell>
                  <Cell>{formatDateTime(r.retentionUntil)}</Cell>
                  <Cell>{formatDateTime(r.disposedAt)}</Cell>
                </Row>
              ))}
            </TableBody>
          </TableRoot>
        )}
      </Flex>

      <Flex direction="column" gap="3">
        <Text as="h2" variant="title-small">
          Runs of the disposal job
        </Text>
        <ErrorAlert error={runs.error} title="Runs not loaded" />
        {runs.value && (
          <TableRoot aria-label="Disposal runs">
            <TableHeader>
              <Column isRowHeader>Started</Column>
              <Column>By</Column>
              <Column>State</Column>
              <Column>Disposed of</Column>
              <Column>Held</Column>
              <Column>Failed</Column>
            </TableHeader>
            <TableBody renderEmptyState={() => <Text>No run yet.</Text>}>
              {runs.value.items.map(r => (
                <Row key={r.id} id={r.id}>
                  <Cell>{formatDateTime(r.startedAt)}</Cell>
                  <Cell>
                    {r.trigger === 'scheduled' ? (
                      'Schedule'
                    ) : (
                      <PersonName entityRef={r.requestedBy} />
                    )}
                  </Cell>
                  <Cell>
                    <span
                      style={
                        r.state === 'failed'
                          ? { color: READABLE_DANGER_TEXT }
                          : undefined
                      }
                    >
                      {r.state}
                      {r.error ? `: ${r.error}` : ''}
                    </span>
                  </Cell>
                  <Cell>{r.disposed}</Cell>
                  <Cell>{r.held}</Cell>
                  <Cell>{r.failed}</Cell>
                </Row>
              ))}
            </TableBody>
          </TableRoot>
        )}
      </Flex>
      <ConfirmDialog
        open={confirming}
        title="Dispose of due conversations now?"
        text="Every conversation past its retention end and under no legal hold loses its audio and derived files for good; a disposal record of each is kept."
        confirmLabel="Dispose of them"
        onClose={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          runNow();
        }}
      />
    </Flex>
  );
}
