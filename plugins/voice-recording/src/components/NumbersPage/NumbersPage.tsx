import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import { Box, LinearProgress, TablePagination } from '@material-ui/core';
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
    <Box display="flex" flexDirection="column" gridGap={16}>
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
      {loading && <LinearProgress />}
      <ErrorAlert error={error} />
      {value && (
        <>
          <NumbersTable
            items={value.items}
            onOpen={item => detailLink && navigate(detailLink({ id: item.id }))}
          />
          <TablePagination
            component="div"
            count={value.total}
            page={page}
            rowsPerPage={PAGE_SIZE}
            rowsPerPageOptions={[PAGE_SIZE]}
            onPageChange={(_, p) => setPage(p)}
          />
        </>
      )}
    </Box>
  );
}
