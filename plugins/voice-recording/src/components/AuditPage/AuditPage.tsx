import { FormEvent, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  Box,
  Button,
  Grid,
  LinearProgress,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TablePagination,
  TableRow,
} from '@material-ui/core';
import { DateTime } from 'luxon';
import { useApi } from '@backstage/frontend-plugin-api';
import { AuditQuery, voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { saveFile } from '../BulkSchedulingPage/files';
import { formatDateTime } from '../ConversationsPage/format';

export const AUDIT_PAGE_SIZE = 50;

/** Actions the backend records; the filter also accepts any other. */
export const AUDIT_ACTIONS = [
  'conversation-search',
  'conversation-view',
  'conversation-playback',
  'conversation-audio',
  'conversation-download',
  'conversation-export',
  'number-create',
  'number-update',
  'number-delete',
  'number-slot-add',
  'number-slot-delete',
  'number-apply-planning-model',
  'number-professional-mode',
  'planning-model-create',
  'planning-model-update',
  'planning-model-delete',
  'bulk-import',
  'permission-denied',
  'request-refused',
];

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

function summarize(details: Record<string, unknown> | undefined): string {
  if (!details || Object.keys(details).length === 0) return '';
  const text = JSON.stringify(details);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** The plugin's audit trail (admins): filters, newest first, paging, CSV export. */
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
  const text = (
    key: keyof AuditFilterValues,
    label: string,
    extra: Record<string, unknown> = {},
  ) => (
    <LabeledTextField
      fullWidth
      label={label}
      value={form[key]}
      onChange={e => set(key, e.target.value)}
      inputProps={{ 'aria-label': label }}
      {...extra}
    />
  );

  return (
    <Box display="flex" flexDirection="column" gridGap={16}>
      <form aria-label="Filter audit trail" onSubmit={submit}>
        <Grid container spacing={2}>
          <Grid item xs={12} sm={6} md={2}>
            {text('actor', 'User', { placeholder: 'user:default/alice' })}
          </Grid>
          <Grid item xs={12} sm={6} md={2}>
            {text('target', 'Conversation / target', {
              placeholder: 'conversation id',
            })}
          </Grid>
          <Grid item xs={12} sm={6} md={2}>
            {text('action', 'Action', {
              placeholder: 'conversation-playback',
              inputProps: { 'aria-label': 'Action', list: 'vr-audit-actions' },
            })}
            <datalist id="vr-audit-actions">
              {AUDIT_ACTIONS.map(a => (
                <option key={a} value={a} />
              ))}
            </datalist>
          </Grid>
          <Grid item xs={6} sm={3} md={2}>
            {text('from', 'From', {
              type: 'datetime-local',
              InputLabelProps: { shrink: true },
            })}
          </Grid>
          <Grid item xs={6} sm={3} md={2}>
            {text('to', 'To', {
              type: 'datetime-local',
              InputLabelProps: { shrink: true },
            })}
          </Grid>
          <Grid item xs={12} md={2}>
            <Box display="flex" gridGap={8} height="100%" alignItems="flex-end">
              <Button type="submit" variant="contained" color="primary">
                Search
              </Button>
              <Button
                variant="outlined"
                disabled={exportState.loading}
                onClick={() => runExport()}
              >
                Export CSV
              </Button>
            </Box>
          </Grid>
        </Grid>
      </form>
      <ErrorAlert error={formError} />
      <ErrorAlert error={exportState.error} title="Export failed" />
      {loading && <LinearProgress />}
      <ErrorAlert error={error} />
      {value && (
        <>
          <Table
            size="small"
            aria-label="Audit trail"
            data-testid="audit-table"
          >
            <TableHead>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>User</TableCell>
                <TableCell>Action</TableCell>
                <TableCell>Target</TableCell>
                <TableCell>Details</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {value.items.length === 0 && (
                <TableRow>
                  <TableCell colSpan={5}>No audit entries match.</TableCell>
                </TableRow>
              )}
              {value.items.map(entry => (
                <TableRow key={entry.id} data-testid={`audit-row-${entry.id}`}>
                  <TableCell>{formatDateTime(entry.at)}</TableCell>
                  <TableCell>{entry.actorRef}</TableCell>
                  <TableCell>{entry.action}</TableCell>
                  <TableCell>
                    {entry.targetType ? `${entry.targetType} ` : ''}
                    {entry.targetId ?? ''}
                  </TableCell>
                  <TableCell>
                    <code>{summarize(entry.details)}</code>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <TablePagination
            component="div"
            count={value.total}
            page={page}
            rowsPerPage={AUDIT_PAGE_SIZE}
            rowsPerPageOptions={[AUDIT_PAGE_SIZE]}
            onPageChange={(_, p) => setPage(p)}
          />
        </>
      )}
    </Box>
  );
}
