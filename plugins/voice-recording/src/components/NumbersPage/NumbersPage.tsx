import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import { Flex, Skeleton, TablePagination } from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { numberDetailRouteRef } from '../../routes';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import {
  EMPTY_FILTERS,
  NumbersFilterValues,
  NumbersFilters,
} from './NumbersFilters';
import { NumbersTable } from './NumbersTable';
import { AddNumberForm } from './AddNumberForm';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';

const PAGE_SIZE = 50;

/** Admin list of every recorded number, with search and filters. */
export function NumbersPage() {
  const api = useApi(voiceRecordingApiRef);
  const navigate = useNavigate();
  const detailLink = useRouteRef(numberDetailRouteRef);
  const { canCreateNumbers } = useVoiceRecordingPermissions();
  const [filters, setFilters] = useState<NumbersFilterValues>(EMPTY_FILTERS);
  const [debounced, setDebounced] =
    useState<NumbersFilterValues>(EMPTY_FILTERS);
  const [page, setPage] = useState(0);
  const [reload, setReload] = useState(0);
  useDebounce(() => setDebounced(filters), 300, [filters]);

  const { value, loading, error } = useAsync(
    () =>
      api.listNumbers({
        q: debounced.q.trim() || undefined,
        userRef: debounced.userRef.trim() || undefined,
        status: debounced.status || undefined,
        mvrActive:
          debounced.mvrActive === ''
            ? undefined
            : debounced.mvrActive === 'true',
        limit: PAGE_SIZE,
        offset: page * PAGE_SIZE,
      }),
    [api, debounced, page, reload],
  );

  return (
    <Flex direction="column" gap="4">
      {canCreateNumbers && (
        <AddNumberForm onCreated={() => setReload(r => r + 1)} />
      )}
      <NumbersFilters
        value={filters}
        onChange={v => {
          setFilters(v);
          setPage(0);
        }}
      />
      {loading && !value && <Skeleton width="100%" height={32} />}
      <ErrorAlert error={error} />
      {value && (
        <div aria-busy={loading}>
          <NumbersTable
            items={value.items}
            onOpen={item => detailLink && navigate(detailLink({ id: item.id }))}
          />
          <TablePagination
            pageSize={PAGE_SIZE}
            pageSizeOptions={[]}
            showPageSizeOptions={false}
            offset={page * PAGE_SIZE}
            totalCount={value.total}
            hasPreviousPage={page > 0}
            hasNextPage={(page + 1) * PAGE_SIZE < value.total}
            onPreviousPage={() => setPage(p => Math.max(0, p - 1))}
            onNextPage={() => setPage(p => p + 1)}
          />
        </div>
      )}
    </Flex>
  );
}
