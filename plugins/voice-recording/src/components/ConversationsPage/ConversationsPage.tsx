import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { Button, Flex, Link, Skeleton, Text } from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import {
  ConversationFilters,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import {
  COMPLIANCE_PATHS,
  conversationDetailRouteRef,
  rootRouteRef,
  TAB_PATHS,
} from '../../routes';
import { searchScopeFilters } from '../ExportsPage/ExportsPage';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
import { saveFile } from '../BulkSchedulingPage/files';
import {
  ConversationSearchForm,
  ConversationSearchValues,
  EMPTY_SEARCH,
  searchValuesFromParams,
  searchValuesToFilters,
  searchValuesToParams,
  REVERSED_RANGE,
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

/** At most this many ticked calls in one export (the backend's limit of `ids`). */
export const MAX_TICKED_EXPORT = 1000;

const SORTS = ['startedAt', 'durationMs', 'number', 'otherParty'];

/** The sort of a page URL's query (default: most recent first). */
function sortFromParams(params: URLSearchParams): SortState {
  const sort = params.get('sort') ?? '';
  const order = params.get('order');
  return SORTS.includes(sort)
    ? {
        sort: sort as SortState['sort'],
        order: order === 'asc' ? 'asc' : 'desc',
      }
    : { sort: 'startedAt', order: 'desc' };
}

/** "1 conversation", "12 conversations", or "More than 10,000 conversations" (capped count). */
export function totalLabel(total: number, lowerBound?: boolean): string {
  if (lowerBound)
    return `More than ${total.toLocaleString('en-US')} conversations`;
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

  // The search lives in the URL (bookmark, share, reload, back/forward): the form's
  // values are the URL's until edited; a search writes them to the URL.
  const [params, setParams] = useSearchParams();
  const query = params.toString();
  const [form, setForm] = useState<ConversationSearchValues>(() =>
    searchValuesFromParams(params),
  );
  const [formError, setFormError] = useState<Error | undefined>();
  const { filters, urlError } = useMemo(() => {
    try {
      return {
        filters: searchValuesToFilters(
          searchValuesFromParams(new URLSearchParams(query)),
        ),
        urlError: undefined,
      };
    } catch (e) {
      return { filters: {} as ConversationFilters, urlError: e as Error };
    }
  }, [query]);
  const sort = useMemo(
    () => sortFromParams(new URLSearchParams(query)),
    [query],
  );
  const [cursors, setCursors] = useState<CursorStack>(FIRST_PAGE);
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    // another search (a link, back/forward): its values in the form, its first page
    setForm(searchValuesFromParams(new URLSearchParams(query)));
    setCursors(FIRST_PAGE);
    setTicked(new Set());
  }, [query]);
  const setSort = (next: SortState) =>
    setParams(searchValuesToParams(searchValuesFromParams(params), next));

  // the labels and cases to filter by (none shown if they cannot be read)
  const { value: choices } = useAsync(async () => {
    const [labels, cases] = await Promise.all([
      api.listLabels(),
      api.listCases(),
    ]);
    return {
      labels: labels.items,
      cases: cases.items,
      caseTitles: new Map(cases.items.map(c => [c.id, c.title])),
    };
  }, [api]);

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

  const [exportState, runExport] = useAsyncFn(
    async (selection: ConversationFilters | { ids: string[] }) => {
      const file = await api.exportConversations(selection);
      saveFile(file.blob, file.fileName);
    },
    [api],
  );

  // a regulator export of the search: a package built in the background (Compliance ›
  // Exports), with no limit on the number of calls
  const root = useRouteRef(rootRouteRef);
  const exportsPath = `${(root?.() ?? '/voice-recording').replace(/\/$/, '')}/${
    TAB_PATHS.compliance
  }/${COMPLIANCE_PATHS.exports}`;
  const [regulatorExport, runRegulatorExport] = useAsyncFn(
    async (current: ConversationFilters) =>
      api.createExport({
        scope: { kind: 'search', filters: searchScopeFilters(current) },
      }),
    [api],
  );

  const search = () => {
    try {
      searchValuesToFilters(form);
      setFormError(undefined);
      setCursors(FIRST_PAGE);
      setParams(searchValuesToParams(form, sort));
    } catch (e) {
      setFormError(e as Error);
    }
  };

  const tick = (ids: string[], on: boolean) =>
    setTicked(current => {
      const next = new Set(current);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });

  // A refused search (e.g. a reversed range) shows no results: the previous search's
  // would look like the answer to it.
  const results = formError || urlError ? undefined : value;
  const rangeError =
    (formError ?? urlError)?.message === REVERSED_RANGE
      ? REVERSED_RANGE
      : undefined;
  const page = pageIndex(cursors);
  const shown = results?.items.length ?? 0;
  const firstShown = page * CONVERSATIONS_PAGE_SIZE + (shown ? 1 : 0);

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      <ConversationSearchForm
        value={form}
        onChange={setForm}
        onSearch={search}
        rangeError={rangeError}
        labels={choices?.labels}
        cases={choices?.cases}
        onReset={() => {
          setForm(EMPTY_SEARCH);
          setFormError(undefined);
          setCursors(FIRST_PAGE);
          setParams(new URLSearchParams());
        }}
      />
      {/* a reversed range is said under its To field */}
      <ErrorAlert error={rangeError ? undefined : formError ?? urlError} />
      {canExportConversations && (
        <Flex gap="2" align="center" style={{ flexWrap: 'wrap' }}>
          <Button
            variant="secondary"
            isDisabled={exportState.loading || !results || results.total === 0}
            onPress={() => runExport(filters)}
          >
            Export selection (ZIP)
          </Button>
          <Button
            variant="secondary"
            isDisabled={
              exportState.loading ||
              ticked.size === 0 ||
              ticked.size > MAX_TICKED_EXPORT
            }
            onPress={() => runExport({ ids: [...ticked] })}
          >
            Export ticked ({ticked.size})
          </Button>
          <Button
            variant="secondary"
            isDisabled={
              regulatorExport.loading || !results || results.total === 0
            }
            onPress={() => runRegulatorExport(filters)}
          >
            Export for regulator
          </Button>
          {ticked.size > 0 && (
            <Button variant="tertiary" onPress={() => setTicked(new Set())}>
              Untick all
            </Button>
          )}
          {ticked.size > MAX_TICKED_EXPORT && (
            <Text
              variant="body-medium"
              color="danger"
              style={{ color: READABLE_DANGER_TEXT }}
            >
              At most {MAX_TICKED_EXPORT} ticked calls in one export.
            </Text>
          )}
          {exportState.loading && (
            <Text variant="body-medium">Preparing the ZIP…</Text>
          )}
        </Flex>
      )}
      <ErrorAlert error={exportState.error} title="Export failed" />
      <ErrorAlert
        error={regulatorExport.error}
        title="Regulator export not started"
      />
      {regulatorExport.value && !regulatorExport.loading && (
        <SuccessAlert>
          Regulator export started ({regulatorExport.value.scopeTitle}): follow
          it and download the package under{' '}
          <Link href={exportsPath}>Compliance › Exports</Link>.
        </SuccessAlert>
      )}
      {loading && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Loading conversations"
          data-testid="conversations-loading"
        />
      )}
      <ErrorAlert error={error} />
      {results && (
        <>
          <Text
            as="p"
            variant="body-medium"
            data-testid="conversations-total"
            style={{ margin: 0 }}
          >
            {totalLabel(results.total, results.totalIsLowerBound)}
            {shown > 0 && ` — showing ${firstShown}–${firstShown + shown - 1}`}
          </Text>
          <ConversationsTable
            items={results.items}
            caseTitles={choices?.caseTitles}
            sort={sort}
            onSort={column => {
              setSort(nextSort(sort, column));
              setCursors(FIRST_PAGE);
            }}
            {...(canExportConversations
              ? { selected: ticked, onTick: tick }
              : {})}
            onOpen={item => detailLink && navigate(detailLink({ id: item.id }))}
          />
          <Flex gap="2" align="center">
            <Button
              variant="secondary"
              isDisabled={page === 0 || loading}
              onPress={() => setCursors(popCursor)}
            >
              Previous page
            </Button>
            <Text variant="body-medium" data-testid="conversations-page">
              Page {page + 1}
            </Text>
            <Button
              variant="secondary"
              isDisabled={!results.nextCursor || loading}
              onPress={() =>
                results.nextCursor &&
                setCursors(c => pushCursor(c, results.nextCursor!))
              }
            >
              Next page
            </Button>
          </Flex>
        </>
      )}
    </Flex>
  );
}
