import { FormEvent, useEffect, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  Button,
  Cell,
  Checkbox,
  Column,
  Flex,
  Row,
  Select,
  Skeleton,
  TableBody,
  TableHeader,
  TableRoot,
  Text,
  TextField,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  ExportJob,
  ExportJobState,
  ExportScope,
} from '@mvr/plugin-voice-recording-common';
import { DateTime } from 'luxon';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import type { ConversationFilters } from '../../api/VoiceRecordingApi';
import { saveFile } from '../BulkSchedulingPage/files';
import { formatDateTime } from '../ConversationsPage/format';
import { DateField } from '../DateField/DateField';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import {
  FieldErrorText,
  READABLE_DANGER_TEXT,
} from '../FieldErrorText/FieldErrorText';
import { PersonName } from '../PersonName/PersonName';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

/** How often the jobs are read again while one is queued or running. */
export const EXPORT_POLL_MS = 2000;

export const EXPORT_STATE_LABELS: Record<ExportJobState, string> = {
  queued: 'Queued',
  running: 'Building',
  done: 'Ready',
  failed: 'Failed',
  expired: 'Expired',
};

/** `12.4 MB`, `830 kB`, `512 B`. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(0)} kB`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)} MB`;
  return `${(n / 1_000_000_000).toFixed(2)} GB`;
}

/**
 * The filters of the conversations page as an export's search scope: the query-string
 * names and values of GET /conversations (empty ones left out).
 */
export function searchScopeFilters(
  filters: ConversationFilters,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filters)) {
    if (v === undefined || v === null) continue;
    const s = String(v).trim();
    if (s) out[k] = s;
  }
  return out;
}

function progressText(j: ExportJob): string {
  if (j.state === 'queued') return 'Waiting to start';
  if (j.state === 'running')
    return j.total ? `${j.done} of ${j.total} recordings` : 'Starting';
  if (j.state === 'done')
    return `${j.done} recording${j.done === 1 ? '' : 's'}${
      j.skipped ? ` (${j.skipped} without audio left out)` : ''
    }`;
  if (j.state === 'expired') return 'Package deleted';
  return '';
}

type Kind = ExportScope['kind'];
type Field = 'caseId' | 'number' | 'from' | 'to';

/**
 * Regulator and client exports (Compliance, admins with `conversation.export`): start an
 * export of a case or of one number's calls for a period (a search is exported from the
 * Conversations page), follow its progress, download the package when it is ready, and
 * delete it. Packages are built in the background and expire after a few days.
 */
export function ExportsPage() {
  const api = useApi(voiceRecordingApiRef);
  const [kind, setKind] = useState<Kind>('case');
  const [caseId, setCaseId] = useState('');
  const [number, setNumber] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [includeMp3, setIncludeMp3] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [notice, setNotice] = useState<string>();

  const cases = useAsync(async () => (await api.listCases()).items, [api]);
  // read again after each change, and every few seconds while one is being built
  const [reads, setReads] = useState(0);
  const reload = () => setReads(n => n + 1);
  // compliance managers may list everybody's exports
  const { canManageCompliance } = useVoiceRecordingPermissions();
  const [whose, setWhose] = useState<'me' | 'all'>('me');
  const jobs = useAsync(
    async () =>
      (await api.listExports(whose === 'all' ? { requestedBy: 'all' } : {}))
        .items,
    [api, reads, whose],
  );
  const busy = (jobs.value ?? []).some(j =>
    ['queued', 'running'].includes(j.state),
  );
  useEffect(() => {
    if (!busy) return undefined;
    const t = setTimeout(reload, EXPORT_POLL_MS);
    return () => clearTimeout(t);
  }, [busy, jobs.value]);

  const [created, create] = useAsyncFn(
    async (asked: ExportScope, mp3: boolean) => {
      let scope = asked;
      if (scope.kind === 'number') {
        // the recorded number's id (the field holds the number as typed)
        const n = await api.getNumberByPhone(scope.numberId).catch(e => {
          if (errorStatus(e) === 404) return undefined;
          throw e;
        });
        if (!n) {
          setErrors({ number: `No recorded number ${scope.numberId}` });
          return undefined;
        }
        scope = { ...scope, numberId: n.id, ...periodOf(scope.from, scope.to) };
      }
      const job = await api.createExport({ scope, includeMp3: mp3 });
      setNotice(`Export started: ${job.scopeTitle}`);
      reload();
      return job;
    },
    [api],
  );
  const [downloaded, download] = useAsyncFn(
    async (job: ExportJob) => {
      const file = await api.downloadExport(job.id);
      saveFile(file.blob, file.fileName);
    },
    [api],
  );
  const [deleted, remove] = useAsyncFn(
    async (job: ExportJob) => {
      await api.deleteExport(job.id);
      setNotice(`Export deleted: ${job.scopeTitle}`);
      reload();
    },
    [api],
  );

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    setNotice(undefined);
    const found: Partial<Record<Field, string>> = {};
    let scope: ExportScope | undefined;
    if (kind === 'case') {
      if (!caseId) found.caseId = 'Choose the case to export';
      else scope = { kind: 'case', caseId };
    } else {
      if (!number.trim()) found.number = 'Enter the recorded number';
      if (!from) found.from = 'Choose the first day';
      if (!to) found.to = 'Choose the last day';
      if (from && to && to < from)
        found.to = 'The last day must not be before the first';
    }
    setErrors(found);
    if (Object.keys(found).length) return;
    if (kind === 'number') {
      // the number's id, then the days as instants in the viewer's time zone
      create({ kind: 'number', numberId: number.trim(), from, to }, includeMp3);
      return;
    }
    create(scope!, includeMp3);
  };

  return (
    <Flex direction="column" gap="4">
      <Text as="p" variant="body-small" color="secondary">
        An export package holds the recordings as archived, a signed manifest
        (parties, times, hashes, signatures, cases, retention, legal hold), the
        public key and a README telling the recipient how to verify it. To
        export a search, use “Export for regulator” on the Conversations page.
      </Text>
      <form onSubmit={submit} aria-label="New export" noValidate>
        <Flex direction="column" gap="3" style={{ maxWidth: '36rem' }}>
          <Select
            label="Export of"
            value={kind}
            onChange={k => {
              if (!k) return;
              setKind(k as Kind);
              setErrors({});
            }}
            options={[
              { value: 'case', label: 'A case' },
              { value: 'number', label: 'One number for a period' },
            ]}
          />
          {kind === 'case' ? (
            <>
              <Select
                label="Case"
                placeholder="Choose a case"
                value={caseId || null}
                onChange={k => {
                  setCaseId(String(k ?? ''));
                  setErrors(x => ({ ...x, caseId: undefined }));
                }}
                options={(cases.value ?? []).map(c => ({
                  value: c.id,
                  label: c.title,
                }))}
              />
              <FieldErrorText>{errors.caseId}</FieldErrorText>
            </>
          ) : (
            <NumberFields
              number={number}
              from={from}
              to={to}
              errors={errors}
              onChange={(field, value) => {
                if (field === 'number') setNumber(value);
                if (field === 'from') setFrom(value);
                if (field === 'to') setTo(value);
                setErrors(x => ({ ...x, [field]: undefined }));
              }}
            />
          )}
          <Checkbox isSelected={includeMp3} onChange={setIncludeMp3}>
            Include MP3 copies
          </Checkbox>
          <div>
            <Button
              type="submit"
              variant="primary"
              isDisabled={created.loading}
            >
              Start export
            </Button>
          </div>
        </Flex>
      </form>
      <ErrorAlert error={cases.error} title="Cases not shown" />
      <ErrorAlert error={created.error} title="Export not started" />
      {notice && <SuccessAlert>{notice}</SuccessAlert>}
      <ErrorAlert error={downloaded.error} title="Download failed" />
      <ErrorAlert error={deleted.error} title="Export not deleted" />
      {canManageCompliance && (
        <div style={{ maxWidth: '16rem' }}>
          <Select
            label="Exports of"
            value={whose}
            onChange={k => k && setWhose(k as 'me' | 'all')}
            options={[
              { value: 'me', label: 'Mine' },
              { value: 'all', label: 'Everybody' },
            ]}
          />
        </div>
      )}
      {jobs.loading && !jobs.value && <Skeleton width="100%" height={120} />}
      <ErrorAlert error={jobs.error} title="Exports not shown" />
      {jobs.value && (
        <TableRoot aria-label="Exports" data-testid="exports-table">
          <TableHeader>
            <Column isRowHeader>Export</Column>
            <Column>Requested</Column>
            <Column>State</Column>
            <Column>Package</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody renderEmptyState={() => 'No exports.'}>
            {jobs.value.map(j => (
              <Row key={j.id} id={j.id} data-testid={`export-row-${j.id}`}>
                <Cell>
                  <Flex direction="column" gap="1">
                    <Text as="span" weight="bold">
                      {j.scopeTitle}
                    </Text>
                    {j.includeMp3 && (
                      <Text as="span" variant="body-small" color="secondary">
                        with MP3 copies
                      </Text>
                    )}
                  </Flex>
                </Cell>
                <Cell>
                  <Flex direction="column" gap="1">
                    <span>{formatDateTime(j.requestedAt)}</span>
                    <Text as="span" variant="body-small" color="secondary">
                      <PersonName entityRef={j.requestedBy} />
                    </Text>
                  </Flex>
                </Cell>
                <Cell>
                  <Flex direction="column" gap="1">
                    <Text
                      as="span"
                      weight="bold"
                      data-testid={`export-state-${j.id}`}
                    >
                      {EXPORT_STATE_LABELS[j.state]}
                    </Text>
                    {j.state === 'running' && j.total > 0 && (
                      <progress
                        max={j.total}
                        value={j.done}
                        aria-label={`Progress of ${j.scopeTitle}`}
                      />
                    )}
                    <Text
                      as="span"
                      variant="body-small"
                      data-testid={`export-progress-${j.id}`}
                    >
                      {progressText(j)}
                    </Text>
                    {j.error && (
                      <Text
                        as="span"
                        variant="body-small"
                        style={{ color: READABLE_DANGER_TEXT }}
                      >
                        {j.error}
                      </Text>
                    )}
                  </Flex>
                </Cell>
                <Cell>
                  {j.state === 'done' ? (
                    <Flex direction="column" gap="1">
                      <span>{formatBytes(j.bytes)}</span>
                      <Text
                        as="span"
                        variant="body-small"
                        color="secondary"
                        title={j.sha256}
                      >
                        SHA-256 {j.sha256?.slice(0, 12)}…
                      </Text>
                      {j.expiresAt && (
                        <Text as="span" variant="body-small" color="secondary">
                          until {formatDateTime(j.expiresAt)}
                        </Text>
                      )}
                    </Flex>
                  ) : (
                    '—'
                  )}
                </Cell>
                <Cell>
                  <Flex gap="2" style={{ flexWrap: 'wrap' }}>
                    {j.state === 'done' && (
                      <Button
                        size="small"
                        variant="primary"
                        aria-label={`Download ${j.scopeTitle}`}
                        isDisabled={downloaded.loading}
                        onPress={() => download(j)}
                      >
                        Download
                      </Button>
                    )}
                    <Button
                      size="small"
                      variant="secondary"
                      aria-label={`${
                        ['queued', 'running'].includes(j.state)
                          ? 'Cancel'
                          : 'Delete'
                      } ${j.scopeTitle}`}
                      isDisabled={deleted.loading}
                      onPress={() => remove(j)}
                    >
                      {['queued', 'running'].includes(j.state)
                        ? 'Cancel'
                        : 'Delete'}
                    </Button>
                  </Flex>
                </Cell>
              </Row>
            ))}
          </TableBody>
        </TableRoot>
      )}
    </Flex>
  );
}

/** The recorded number (resolved to its id on submit) and the days of the period. */
function NumberFields(props: {
  number: string;
  from: string;
  to: string;
  errors: Partial<Record<Field, string>>;
  onChange: (field: 'number' | 'from' | 'to', value: string) => void;
}) {
  return (
    <>
      <TextField
        label="Recorded number"
        description="E.164, e.g. +32470123456"
        value={props.number}
        onChange={v => props.onChange('number', v)}
      />
      <FieldErrorText>{props.errors.number}</FieldErrorText>
      <Flex gap="3" style={{ flexWrap: 'wrap' }}>
        <DateField
          type="date"
          label="First day"
          value={props.from}
          maxWidth="12rem"
          onChange={v => props.onChange('from', v)}
          error={props.errors.from}
        />
        <DateField
          type="date"
          label="Last day"
          value={props.to}
          maxWidth="12rem"
          onChange={v => props.onChange('to', v)}
          error={props.errors.to}
        />
      </Flex>
    </>
  );
}

/** The days `yyyy-MM-dd` as the period's instants in the viewer's zone (end exclusive). */
export function periodOf(
  from: string,
  to: string,
): { from: string; to: string } {
  return {
    from: DateTime.fromISO(from).startOf('day').toUTC().toISO()!,
    to: DateTime.fromISO(to).plus({ days: 1 }).startOf('day').toUTC().toISO()!,
  };
}
