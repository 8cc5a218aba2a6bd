import { FormEvent, Fragment, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  Button,
  ButtonIcon,
  Flex,
  Select,
  Skeleton,
  TablePagination,
  TextField,
  VisuallyHidden,
} from '@backstage/ui';
import { DateTime } from 'luxon';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  AuditEntry,
  AuditQuery,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { saveFile } from '../BulkSchedulingPage/files';
import { AUDIT_ACTION_GROUPS } from './auditSentences';
import { AuditSentence } from './AuditSentence';
import { AuditDetails } from './AuditDetails';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';
import { DateField } from '../DateField/DateField';
import { DataTable, Td, Th } from '../ConversationsPage/DataTable';
import { AuditVerificationResult } from './AuditVerification';

/** The Select key of "All actions" (a Select option needs a non-empty key). */
const ALL_ACTIONS = 'all-actions';

/** Fields side by side, as many as fit (wraps on a narrow window, never overflows). */
/** The cells of an expanded entry's row: no line between it and its details. */
const joined = (expanded: boolean) =>
  expanded ? { borderBottom: 'none' } : {};

const FIELDS_STYLE = {
  display: 'grid',
  gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 13rem), 1fr))',
  gap: 'var(--bui-space-3)',
  alignItems: 'end',
} as const;

export const AUDIT_PAGE_SIZE = 50;

/** Actions the backend records (the filter's grouped list). */
export const AUDIT_ACTIONS = AUDIT_ACTION_GROUPS.flatMap(g =>
  g.actions.map(a => a.action),
);

export interface AuditFilterValues {
  actor: string;
  target: string;
  action: string;
  /** `datetime-local` values, in the browser's time zone. */
  from: string;
  to: string;
}

export const EMPTY_AUDIT_FILTERS: AuditFilterValues = {
  actor: '',
  target: '',
  action: '',
  from: '',
  to: '',
};

function toIso(value: string, field: string): string | undefined {
  if (!value.trim()) return undefined;
  const dt = DateTime.fromISO(value);
  if (!dt.isValid)
    throw new Error(`${field}: "${value}" is not a date and time`);
  return dt.toUTC().toISO() ?? undefined;
}

/** The `GET /audit` filters of the form; throws an Error naming a wrong field. */
export function auditFiltersToQuery(values: AuditFilterValues): AuditQuery {
  const from = toIso(values.from, 'From');
  const to = toIso(values.to, 'To');
  if (from && to && Date.parse(from) > Date.parse(to)) {
    throw new Error('From: must be before To');
  }
  const query: AuditQuery = {
    actor: values.actor.trim() || undefined,
    target: values.target.trim() || undefined,
    action: values.action.trim() || undefined,
    from,
    to,
  };
  return Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== undefined),
  ) as AuditQuery;
}

/**
 * The plugin's audit trail (admins): filters, newest first, paging, CSV export, and
 * the verification of the trail's hash chain.
 */
export function AuditPage() {
  const api = useApi(voiceRecordingApiRef);
  const [form, setForm] = useState<AuditFilterValues>(EMPTY_AUDIT_FILTERS);
  const [formError, setFormError] = useState<Error | undefined>();
  const [query, setQuery] = useState<AuditQuery>({});
  const [page, setPage] = useState(0);

  const { value, loading, error } = useAsync(
    () =>
      api.listAudit({
        ...query,
        limit: AUDIT_PAGE_SIZE,
        offset: page * AUDIT_PAGE_SIZE,
      }),
    [api, query, page],
  );
  const [exportState, runExport] = useAsyncFn(async () => {
    const file = await api.exportAuditCsv(query);
    saveFile(file.blob, file.fileName);
  }, [api, query]);
  // the whole trail's hash chain, whatever the filters (docs/audit-trail.md)
  const [verifyState, runVerify] = useAsyncFn(
    () => api.verifyAuditTrail(),
    [api],
  );

  const set = (key: keyof AuditFilterValues, v: string) =>
    setForm(f => ({ ...f, [key]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    try {
      setQuery(auditFiltersToQuery(form));
      setFormError(undefined);
      setPage(0);
    } catch (err) {
      setFormError(err as Error);
    }
  };
  const actionOptions = [
    { value: ALL_ACTIONS, label: 'All actions' },
    ...AUDIT_ACTION_GROUPS.map(g => ({
      title: g.label,
      options: g.actions.map(a => ({ value: a.action, label: a.label })),
    })),
    // an action typed into the URL or a newer backend's stays selectable
    ...(form.action && !AUDIT_ACTIONS.includes(form.action)
      ? [{ value: form.action, label: form.action }]
      : []),
  ];

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      <form aria-label="Filter audit trail" onSubmit={submit}>
        <div style={FIELDS_STYLE}>
          <PeoplePicker
            label="Person"
            placeholder="Name, email or id"
            value={form.actor || undefined}
            onChange={ref => set('actor', ref ?? '')}
            data-testid="audit-person"
          />
          <TextField
            label="Target"
            placeholder="conversation id, +32…"
            value={form.target}
            onChange={v => set('target', v)}
          />
          <Select
            label="Action"
            value={form.action || ALL_ACTIONS}
            onChange={k =>
              set('action', !k || k === ALL_ACTIONS ? '' : String(k))
            }
            options={actionOptions}
          />
          <DateField
            type="datetime-local"
            label="From"
            value={form.from}
            onChange={v => set('from', v)}
          />
          <DateField
            type="datetime-local"
            label="To"
            value={form.to}
            onChange={v => set('to', v)}
          />
          {/* the three buttons wrap in a narrow grid cell (1024 px, no sideways scroll) */}
          <Flex gap="2" style={{ flexWrap: 'wrap' }}>
            <Button type="submit" variant="primary">
              Search
            </Button>
            <Button
              variant="secondary"
              isDisabled={exportState.loading}
              onPress={() => runExport()}
            >
              Export CSV
            </Button>
            <Button
              variant="secondary"
              isDisabled={verifyState.loading}
              onPress={() => runVerify()}
            >
              Verify trail
            </Button>
          </Flex>
        </div>
      </form>
      <ErrorAlert error={formError} />
      <ErrorAlert error={exportState.error} title="Export failed" />
      {verifyState.loading && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Verifying the audit trail"
        />
      )}
      <ErrorAlert error={verifyState.error} title="Verification failed" />
      {verifyState.value && !verifyState.loading && (
        <AuditVerificationResult result={verifyState.value} />
      )}
      {loading && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Loading the audit trail"
        />
      )}
      <ErrorAlert error={error} />
      {value && (
        <>
          <AuditTable items={value.items} />
          <TablePagination
            pageSize={AUDIT_PAGE_SIZE}
            pageSizeOptions={[]}
            offset={page * AUDIT_PAGE_SIZE}
            totalCount={value.total}
            hasPreviousPage={page > 0}
            hasNextPage={(page + 1) * AUDIT_PAGE_SIZE < value.total}
            onPreviousPage={() => setPage(p => Math.max(0, p - 1))}
            onNextPage={() => setPage(p => p + 1)}
          />
        </>
      )}
    </Flex>
  );
}

/** The entries as sentences, each with its details expandable as a table. */
function AuditTable(props: { items: AuditEntry[] }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen(o => {
      const next = new Set(o);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <div style={{ overflowX: 'auto' }}>
      <DataTable aria-label="Audit trail" data-testid="audit-table">
        <thead>
          <tr>
            <Th style={{ width: 40 }}>
              <VisuallyHidden>Details</VisuallyHidden>
            </Th>
            <Th>Event</Th>
            <Th>Action</Th>
          </tr>
        </thead>
        <tbody>
          {props.items.length === 0 && (
            <tr>
              <Td colSpan={3}>No audit entries match.</Td>
            </tr>
          )}
          {props.items.map(entry => {
            const expanded = open.has(entry.id);
            const detailsId = `vr-audit-details-${entry.id}`;
            return (
              <Fragment key={entry.id}>
                <tr data-testid={`audit-row-${entry.id}`}>
                  <Td style={{ ...joined(expanded), verticalAlign: 'top' }}>
                    <ButtonIcon
                      size="small"
                      variant="tertiary"
                      aria-label={expanded ? 'Hide details' : 'Show details'}
                      aria-expanded={expanded}
                      aria-controls={expanded ? detailsId : undefined}
                      onPress={() => toggle(entry.id)}
                      icon={
                        <span aria-hidden="true">{expanded ? '▾' : '▸'}</span>
                      }
                    />
                  </Td>
                  <Td style={{ ...joined(expanded), overflowWrap: 'anywhere' }}>
                    <AuditSentence entry={entry} />
                  </Td>
                  <Td style={joined(expanded)}>
                    <code
                      style={{
                        fontFamily: 'var(--bui-font-monospace)',
                        whiteSpace: 'nowrap',
                      }}
                    >
                      {entry.action}
                    </code>
                  </Td>
                </tr>
                {expanded && (
                  <tr>
                    <Td colSpan={3} style={{ paddingTop: 0 }}>
                      <div
                        id={detailsId}
                        data-testid={`audit-details-${entry.id}`}
                        style={{
                          padding:
                            'var(--bui-space-2) 0 var(--bui-space-2) 40px',
                        }}
                      >
                        <AuditDetails details={entry.details} />
                      </div>
                    </Td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </DataTable>
    </div>
  );
}
