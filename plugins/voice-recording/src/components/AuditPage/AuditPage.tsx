import { FormEvent, Fragment, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  Box,
  Button,
  Collapse,
  Grid,
  IconButton,
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
import {
  AuditEntry,
  AuditQuery,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { saveFile } from '../BulkSchedulingPage/files';
import { AUDIT_ACTION_GROUPS } from './auditSentences';
import { AuditSentence } from './AuditSentence';
import { AuditDetails } from './AuditDetails';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';

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
            <PeoplePicker
              label="Person"
              placeholder="Name, email or id"
              value={form.actor || undefined}
              onChange={ref => set('actor', ref ?? '')}
              data-testid="audit-person"
            />
          </Grid>
          <Grid item xs={12} sm={6} md={2}>
            {text('target', 'Target', {
              placeholder: 'conversation id, +32…',
            })}
          </Grid>
          <Grid item xs={12} sm={6} md={2}>
            {text('action', 'Action', {
              select: true,
              SelectProps: { native: true },
              InputLabelProps: { shrink: true },
              children: [
                <option key="" value="">
                  All actions
                </option>,
                ...AUDIT_ACTION_GROUPS.map(g => (
                  <optgroup key={g.label} label={g.label}>
                    {g.actions.map(a => (
                      <option key={a.action} value={a.action}>
                        {a.label}
                      </option>
                    ))}
                  </optgroup>
                )),
                // an action typed into the URL or a newer backend's stays selectable
                ...(form.action && !AUDIT_ACTIONS.includes(form.action)
                  ? [
                      <option key={form.action} value={form.action}>
                        {form.action}
                      </option>,
                    ]
                  : []),
              ],
            })}
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
          <AuditTable items={value.items} />
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
    <Table size="small" aria-label="Audit trail" data-testid="audit-table">
      <TableHead>
        <TableRow>
          <TableCell padding="checkbox" />
          <TableCell>Event</TableCell>
          <TableCell>Action</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.items.length === 0 && (
          <TableRow>
            <TableCell colSpan={3}>No audit entries match.</TableCell>
          </TableRow>
        )}
        {props.items.map(entry => {
          const expanded = open.has(entry.id);
          const detailsId = `vr-audit-details-${entry.id}`;
          return (
            <Fragment key={entry.id}>
              <TableRow data-testid={`audit-row-${entry.id}`}>
                <TableCell padding="checkbox">
                  <IconButton
                    size="small"
                    aria-label={expanded ? 'Hide details' : 'Show details'}
                    aria-expanded={expanded}
                    aria-controls={detailsId}
                    onClick={() => toggle(entry.id)}
                  >
                    {expanded ? '▾' : '▸'}
                  </IconButton>
                </TableCell>
                <TableCell style={{ overflowWrap: 'anywhere' }}>
                  <AuditSentence entry={entry} />
                </TableCell>
                <TableCell>
                  <code>{entry.action}</code>
                </TableCell>
              </TableRow>
              <TableRow>
                <TableCell
                  colSpan={3}
                  style={{
                    paddingTop: 0,
                    paddingBottom: 0,
                    borderBottom: expanded ? undefined : 'none',
                  }}
                >
                  <Collapse in={expanded} unmountOnExit>
                    <Box
                      id={detailsId}
                      py={1}
                      data-testid={`audit-details-${entry.id}`}
                    >
                      <AuditDetails details={entry.details} />
                    </Box>
                  </Collapse>
                </TableCell>
              </TableRow>
            </Fragment>
          );
        })}
      </TableBody>
    </Table>
  );
}
