import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Alert, Button, Flex, Select, Skeleton, Text } from '@backstage/ui';
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

/** How many requests one list shows (the newest first). */
export const PAGE_SIZE = 100;

function TotalNote(props: { shown: number; total: number }) {
  if (props.total <= props.shown) return null;
  return (
    <Text as="p" variant="body-small" color="secondary">
      Showing the {props.shown} newest of {props.total} requests.
    </Text>
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
  const message = notice ? (
    <Alert
      status="success"
      icon
      role="status"
      data-testid="success-alert"
      title={notice}
    />
  ) : null;
  return { dialog, start, message };
}

/** Workflows → My requests: the caller's requests, their state and decision. */
export function MyRequests() {
  const api = useApi(voiceRecordingApiRef);
  const list = useAsyncRetry(
    () => api.listMyAccessRequests({ limit: PAGE_SIZE }),
    [api],
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
      <TotalNote shown={items.length} total={list.value?.total ?? 0} />
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
  const list = useAsyncRetry(
    () =>
      asManager
        ? api.listMyAccessRequests({
            as: 'manager',
            state: 'pending',
            limit: PAGE_SIZE,
          })
        : api.listAccessRequests({ state: 'pending', limit: PAGE_SIZE }),
    [api, asManager],
  );
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
                  destructive
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
      <TotalNote shown={items.length} total={list.value?.total ?? 0} />
      {decision.dialog}
    </Flex>
  );
}

const ANY = 'any';

/** Workflows → All requests (admins): every request by state; revoke an approved one. */
export function AllRequests() {
  const api = useApi(voiceRecordingApiRef);
  const [state, setState] = useState<AccessRequestState | undefined>();
  const list = useAsyncRetry(
    () => api.listAccessRequests({ state, limit: PAGE_SIZE }),
    [api, state],
  );
  const decision = useDecision(list.retry);
  const items = list.value?.items ?? [];
  return (
    <Flex direction="column" gap="3">
      <div style={{ maxWidth: '16rem' }}>
        <Select
          label="State"
          value={state ?? ANY}
          onChange={key =>
            setState(
              key === ANY || !key ? undefined : (key as AccessRequestState),
            )
          }
          options={[
            { value: ANY, label: 'Any' },
            ...ACCESS_REQUEST_STATES.map(s => ({
              value: s,
              label: STATE_LABELS[s],
            })),
          ]}
        />
      </div>
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
                destructive
                aria-label={`Revoke access for ${r.caseTitle}`}
                onPress={() => decision.start(r, 'revoke')}
              >
                Revoke
              </Button>
            ) : null
          }
        />
      )}
      <TotalNote shown={items.length} total={list.value?.total ?? 0} />
      {decision.dialog}
    </Flex>
  );
}
