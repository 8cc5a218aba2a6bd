import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { Box, Button, LinearProgress, Typography } from '@material-ui/core';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import {
  ConversationFilters,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { conversationDetailRouteRef } from '../../routes';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { saveFile } from '../BulkSchedulingPage/files';
import {
  ConversationSearchForm,
  ConversationSearchValues,
  EMPTY_SEARCH,
  searchValuesToFilters,
} from './ConversationSearchForm';
import { ConversationsTable, SortState, nextSort } from './ConversationsTable';
import {
  CursorStack,
  FIRST_PAGE,
  currentCursor,
  pageIndex,
  popCursor,
  pushCursor,
} from './cursorStack';

export const CONVERSATIONS_PAGE_SIZE = 50;

/** "1 conversation", "12 conversations", or "More than 10,000 conversations" (capped count). */
export function totalLabel(total: number, lowerBound?: boolean): string {
  if (lowerBound) return `More than ${total.toLocaleString('en-US')} conversations`;
  return total === 1 ? '1 conversation' : `${total} conversations`;
}

/**
 * Search of recorded conversations (standard users: their own; admins: all, the backend
 * decides), sortable, with keyset pagination; admins can export the search as a ZIP.
 */
export function ConversationsPage() {
  const api = useApi(voiceRecordingApiRef);
  const navigate = useNavigate();
  const detailLink = useRouteRef(conversationDetailRouteRef);
  const { canExportConversations } = useVoiceRecordingPermissions();

  const [form, setForm] = useState<ConversationSearchValues>(EMPTY_SEARCH);
  const [formError, setFormError] = useState<Error | undefined>();
  const [filters, setFilters] = useState<ConversationFilters>({});
  const [sort, setSort] = useState<SortState>({
    sort: 'startedAt',
    order: 'desc',
  });
  const [cursors, setCursors] = useState<CursorStack>(FIRST_PAGE);

  const { value, loading, error } = useAsync(
    () =>
      api.listConversations({
        ...filters,
        sort: sort.sort,
        order: sort.order,
        limit: CONVERSATIONS_PAGE_SIZE,
        cursor: currentCursor(cursors),
      }),
    [api, filters, sort, cursors],
  );

  const [exportState, runExport] = useAsyncFn(async () => {
    const file = await api.exportConversations(filters);
    saveFile(file.blob, file.fileName);
  }, [api, filters]);

  const search = () => {
    try {
      setFilters(searchValuesToFilters(form));
      setFormError(undefined);
      setCursors(FIRST_PAGE);
    } catch (e) {
      setFormError(e as Error);
    }
  };

  const page = pageIndex(cursors);
  const shown = value?.items.length ?? 0;
  const firstShown = page * CONVERSATIONS_PAGE_SIZE + (shown ? 1 : 0);

  return (
    <Box display="flex" flexDirection="column" gridGap={16}>
      <ConversationSearchForm
        value={form}
        onChange={setForm}
        onSearch={search}
        onReset={() => {
          setForm(EMPTY_SEARCH);
          setFormError(undefined);
          setFilters({});
          setCursors(FIRST_PAGE);
        }}
      />
      <ErrorAlert error={formError} />
      {canExportConversations && (
        <Box display="flex" gridGap={8} alignItems="center">
          <Button
            variant="outlined"
            color="primary"
            disabled={exportState.loading || !value || value.total === 0}
            onClick={() => runExport()}
          >
            Export selection (ZIP)
          </Button>
          {exportState.loading && (
            <Typography variant="body2">Preparing the ZIP…</Typography>
          )}
        </Box>
      )}
      <ErrorAlert error={exportState.error} title="Export failed" />
      {loading && <LinearProgress />}
      <ErrorAlert error={error} />
      {value && (
        <>
          <Typography variant="body2" data-testid="conversations-total">
            {totalLabel(value.total, value.totalIsLowerBound)}
            {shown > 0 && ` — showing ${firstShown}–${firstShown + shown - 1}`}
          </Typography>
          <ConversationsTable
            items={value.items}
            sort={sort}
            onSort={column => {
              setSort(s => nextSort(s, column));
              setCursors(FIRST_PAGE);
            }}
            onOpen={item => detailLink && navigate(detailLink({ id: item.id }))}
          />
          <Box display="flex" gridGap={8} alignItems="center">
            <Button
              disabled={page === 0 || loading}
              onClick={() => setCursors(popCursor)}
            >
              Previous page
            </Button>
            <Typography variant="body2" data-testid="conversations-page">
              Page {page + 1}
            </Typography>
            <Button
              disabled={!value.nextCursor || loading}
              onClick={() =>
                value.nextCursor &&
                setCursors(c => pushCursor(c, value.nextCursor!))
              }
            >
              Next page
            </Button>
          </Box>
        </>
      )}
    </Box>
  );
}
