import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Button,
  Flex,
  Select,
  Skeleton,
  TablePagination,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  ACCESS_REQUEST_STATES,
  AccessRequest,
  AccessRequestState,
  awaitsManager,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { Decision, DecisionDialog, decisionDoneText } from './DecisionDialog';
import { RequestsTable } from './WorkflowTables';
import { STATE_LABELS } from './requestText';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';

/** How many requests one page of a list shows (the newest first). */
export const PAGE_SIZE = 50;

/** Previous / next pages of a request list (BUI pagination), when there are several. */
function Pager(props: {
  page: number;
  total: number;
  onPage: (page: number) => void;
}) {
  if (props.total <= PAGE_SIZE) return null;
  return (
    <TablePagination
      pageSize={PAGE_SIZE}
      pageSizeOptions={[]}
      showPageSizeOptions={false}
      offset={props.page * PAGE_SIZE}
      totalCount={props.total}
      hasPreviousPage={props.page > 0}
      hasNextPage={(props.page + 1) * PAGE_SIZE < props.total}
      onPreviousPage={() => props.onPage(Math.max(0, props.page - 1))}
      onNextPage={() => props.onPage(props.page + 1)}
    />
  );
}

const ANY = 'any';

/**
 * The filters of the admins' request lists, kept in the URL like the conversation
 * search (`?state=approved&requester=user:default/bob`, with `?case=<id>` from the
 * Cases tab): a link or a reload shows the same list. A state the URL names wrongly
 * is ignored; the requester is checked by the backend (its 400 shows above the list).
 */
function useRequestFilters() {
  const [params, setParams] = useSearchParams();
  const stateParam = params.get('state');
  const state = (ACCESS_REQUEST_STATES as string[]).includes(stateParam ?? '')
    ? (stateParam as AccessRequestState)
    : undefined;
  const requester = params.get('requester') || undefined;
  const caseId = params.get('case') || undefined;
  const set = (changes: Record<string, string | undefined>) =>
    setParams(current => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(changes)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      return next;
    });
  return { state, requester, caseId, set };
}

/** The requester picker (catalog people) of the admins' lists. */
function RequesterFilter(props: {
  value?: string;
  onChange: (ref?: string) => void;
}) {
  return (
    <div style={{ minWidth: '16rem', maxWidth: '24rem', flex: '1 1 16rem' }}>
      <PeoplePicker
        label="Requester"
        placeholder="Name, email or id"
        value={props.value}
        onChange={props.onChange}
        data-testid="requester-filter"
      />
    </div>
  );
}

/** The last decision's message, next to the list it changed. */
function useDecision(onChanged: () => void) {
  const [pending, setPending] = useState<{
    request: AccessRequest;
    decision: Decision;
  }>();
  const [notice, setNotice] = useState<string>();
  const dialog = (
    <DecisionDialog
      request={pending?.request}
      decision={pending?.decision}
      onClose={() => setPending(undefined)}
      onDone={(updated, decision) => {
        setPending(undefined);
        setNotice(decisionDoneText(decision, updated));
        onChanged();
      }}
    />
  );
  const start = (request: AccessRequest, decision: Decision) => {
    setNotice(undefined);
    setPending({ request, decision });
  };
  const message = notice ? <SuccessAlert>{notice}</SuccessAlert> : null;
  return { dialog, start, message };
}

/** Workflows → My requests: the caller's requests, their state and decision. */
export function MyRequests() {
  const api = useApi(voiceRecordingApiRef);
  const [page, setPage] = useState(0);
  const list = useAsyncRetry(
    () =>
      api.listMyAccessRequests({ limit: PAGE_SIZE, offset: page * PAGE_SIZE }),
    [api, page],
  );
  if (list.loading && !list.value)
    return <Skeleton width="100%" height={120} />;
  if (list.error) return <ErrorAlert error={list.error} />;
  const items = list.value?.items ?? [];
  return (
    <Flex direction="column" gap="3">
      <RequestsTable
        label="My requests"
        testId="my-requests"
        items={items}
        columns={['case', 'rights', 'reason', 'expiresAt', 'state', 'decision']}
        empty="You have not requested access to any case."
      />
      <Pager page={page} total={list.value?.total ?? 0} onPage={setPage} />
    </Flex>
  );
}

/**
 * Workflows → Requests to approve. Admins: pending requests with reason, expiration,
 * requester and rights; approve, or reject with a comment. A request still waiting
 * for the requester's manager cannot be approved by an admin yet. Managers (`as:
 * 'manager'`): the pending requests of the people they manage, approved or rejected
 * first by them.
 */
export function RequestsToApprove(props: { as?: 'admin' | 'manager' }) {
  const api = useApi(voiceRecordingApiRef);
  const asManager = props.as === 'manager';
  const filters = useRequestFilters();
  // the admins filter by requester (a manager's list is their people's already)
  const requester = asManager ? undefined : filters.requester;
  const [page, setPage] = useState(0);
  const list = useAsyncRetry(() => {
    const query = {
      state: 'pending' as const,
      limit: PAGE_SIZE,
      offset: page * PAGE_SIZE,
    };
    return asManager
      ? api.listMyAccessRequests({ ...query, as: 'manager' })
      : api.listAccessRequests({ ...query, requester });
  }, [api, asManager, page, requester]);
  const decision = useDecision(list.retry);
  const items = (list.value?.items ?? []).filter(
    r => !asManager || awaitsManager(r),
  );
  const [approve, reject]: Decision[] = asManager
    ? ['manager-approve', 'manager-reject']
    : ['approve', 'reject'];
  const suffix = asManager ? ' as manager' : '';
  return (
    <Flex direction="column" gap="3">
      {asManager && (
        <Text as="p" variant="body-small" color="secondary">
          Requests of the people you manage: your approval comes first, then an
          admin decides.
        </Text>
      )}
      {!asManager && (
        // in a row, as in All requests: the filter's flex basis is a width, not a height
        <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
          <RequesterFilter
            value={requester}
            onChange={ref => {
              setPage(0);
              filters.set({ requester: ref });
            }}
          />
        </Flex>
      )}
      {decision.message}
      {list.loading && !list.value && <Skeleton width="100%" height={120} />}
      <ErrorAlert error={list.error} />
      {list.value && (
        <RequestsTable
          label="Requests to approve"
          testId="requests-to-approve"
          items={items}
          columns={[
            'case',
            'requester',
            'reason',
            'rights',
            'expiresAt',
            'actions',
          ]}
          empty="No request waits for a decision."
          actions={r =>
            !asManager && awaitsManager(r) ? (
              <Text variant="body-small" color="secondary">
                Waits for the manager
              </Text>
            ) : (
              <Flex gap="2" style={{ flexWrap: 'wrap' }}>
                <Button
                  size="small"
                  variant="primary"
                  aria-label={`Approve request for ${r.caseTitle}${suffix}`}
                  onPress={() => decision.start(r, approve)}
                >
                  Approve
                </Button>
                <Button
                  size="small"
                  variant="secondary"
                  aria-label={`Reject request for ${r.caseTitle}${suffix}`}
                  onPress={() => decision.start(r, reject)}
                >
                  Reject
                </Button>
              </Flex>
            )
          }
        />
      )}
      <Pager page={page} total={list.value?.total ?? 0} onPage={setPage} />
      {decision.dialog}
    </Flex>
  );
}

/**
 * Workflows → All requests (admins): every request, by state and requester (in the
 * URL); revoke an approved one.
 */
export function AllRequests() {
  const api = useApi(voiceRecordingApiRef);
  // `?case=<id>`: the requests of one case (the Cases tab links here).
  const { state, requester, caseId, set } = useRequestFilters();
  const [page, setPage] = useState(0);
  const list = useAsyncRetry(
    () =>
      api.listAccessRequests({
        state,
        caseId,
        requester,
        limit: PAGE_SIZE,
        offset: page * PAGE_SIZE,
      }),
    [api, state, caseId, requester, page],
  );
  const decision = useDecision(list.retry);
  const items = list.value?.items ?? [];
  return (
    <Flex direction="column" gap="3">
      <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
        <div style={{ width: '16rem' }}>
          <Select
            label="State"
            value={state ?? ANY}
            onChange={key => {
              setPage(0);
              set({ state: key === ANY || !key ? undefined : String(key) });
            }}
            options={[
              { value: ANY, label: 'Any' },
              ...ACCESS_REQUEST_STATES.map(s => ({
                value: s,
                label: STATE_LABELS[s],
              })),
            ]}
          />
        </div>
        <RequesterFilter
          value={requester}
          onChange={ref => {
            setPage(0);
            set({ requester: ref });
          }}
        />
      </Flex>
      {caseId && (
        <Flex gap="2" align="center" style={{ flexWrap: 'wrap' }}>
          <Text variant="body-small">
            Requests for case{' '}
            {list.value?.items[0]?.caseTitle ?? 'chosen in Cases'}
          </Text>
          <Button
            size="small"
            variant="tertiary"
            onPress={() => {
              setPage(0);
              set({ case: undefined });
            }}
          >
            Show every case
          </Button>
        </Flex>
      )}
      {decision.message}
      {list.loading && !list.value && <Skeleton width="100%" height={120} />}
      <ErrorAlert error={list.error} />
      {list.value && (
        <RequestsTable
          label="All requests"
          testId="all-requests"
          items={items}
          columns={[
            'case',
            'requester',
            'rights',
            'expiresAt',
            'state',
            'decision',
            'actions',
          ]}
          empty="No requests."
          actions={r =>
            r.state === 'approved' ? (
              <Button
                size="small"
                variant="secondary"
                aria-label={`Revoke access for ${r.caseTitle}`}
                onPress={() => decision.start(r, 'revoke')}
              >
                Revoke
              </Button>
            ) : null
          }
        />
      )}
      <Pager page={page} total={list.value?.total ?? 0} onPage={setPage} />
      {decision.dialog}
    </Flex>
  );
}
