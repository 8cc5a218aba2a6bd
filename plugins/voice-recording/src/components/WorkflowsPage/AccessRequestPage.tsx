import { useState } from 'react';
import { useParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Button,
  Card,
  CardBody,
  CardHeader,
  Flex,
  Grid,
  Link,
  Skeleton,
  Text,
} from '@backstage/ui';
import {
  identityApiRef,
  useApi,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import {
  AccessRequest,
  Case,
  awaitsManager,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { accessRequestRouteRef } from '../../routes';
import { errorStatus } from '../../api/errors';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { LabelChip } from '../LabelChip/LabelChip';
import { PersonName } from '../PersonName/PersonName';
import { Decision, DecisionDialog, decisionDoneText } from './DecisionDialog';
import { RequestStateBadge } from './RequestStateBadge';
import { DecisionSummary } from './WorkflowTables';
import {
  ACCESS_MODE_LABELS,
  LABEL_MODE_LABELS,
  formatDateTime,
  rightsText,
} from './requestText';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

function Field(props: { label: string; children: React.ReactNode }) {
  return (
    <Flex direction="column" gap="1">
      <Text variant="body-small" color="secondary">
        {props.label}
      </Text>
      <div>{props.children}</div>
    </Flex>
  );
}

function CatalogProfileLink(props: { entityRef: string }) {
  const link = useEntityRefLink();
  let href: string | undefined;
  try {
    href = link(parseEntityRef(props.entityRef, { defaultKind: 'user' }));
  } catch {
    href = undefined;
  }
  return href ? <Link href={href}>Catalog profile</Link> : null;
}

/**
 * The case of the request. A case shows itself only to those with a right on it (and
 * the admins): to a requester or manager without one (404), its title only.
 */
function CaseCard(props: {
  title: string;
  value?: Case;
  error?: unknown;
  loading: boolean;
}) {
  const c = props.value;
  const hidden = errorStatus(props.error) === 404;
  return (
    <Card>
      <CardHeader>
        <Text as="h3" variant="title-x-small" weight="bold">
          Case
        </Text>
      </CardHeader>
      <CardBody>
        {props.loading && <Skeleton width="100%" height={80} />}
        {hidden ? (
          <Flex direction="column" gap="3" data-testid="case-title-only">
            <Field label="Title">{props.title}</Field>
            <Text as="p" variant="body-small" color="secondary">
              The case's details are shown to the admins and to those with a
              right on it.
            </Text>
          </Flex>
        ) : (
          <ErrorAlert error={props.error} title="Case not shown" />
        )}
        {c && (
          <Flex direction="column" gap="3">
            <Field label="Title">{c.title}</Field>
            <Field label="Label">
              <LabelChip label={c.label} />
            </Field>
            {c.description && (
              <Field label="Description">{c.description}</Field>
            )}
            <Field label="Status">
              {c.status === 'open' ? 'Open' : 'Closed'}
            </Field>
            <Field label="Owner">
              <PersonName entityRef={c.ownerRef} />
            </Field>
            <Field label="List its conversations">
              {ACCESS_MODE_LABELS[c.access.list.mode]}
            </Field>
            <Field label="Play them back">
              {ACCESS_MODE_LABELS[c.access.playback.mode]}
            </Field>
            <Field label="Add/remove its label">
              {LABEL_MODE_LABELS[c.access.label.mode]}
            </Field>
          </Flex>
        )}
      </CardBody>
    </Card>
  );
}

function RecentRequests(props: { request: AccessRequest }) {
  const api = useApi(voiceRecordingApiRef);
  const requestLink = useRouteRef(accessRequestRouteRef);
  const recent = useAsync(
    () =>
      api.listAccessRequests({
        requester: props.request.requesterRef,
        limit: 6,
      }),
    [api, props.request.requesterRef],
  );
  const others = (recent.value?.items ?? []).filter(
    r => r.id !== props.request.id,
  );
  return (
    <Field label="Recent requests">
      {recent.loading && <Skeleton width="100%" height={40} />}
      <ErrorAlert error={recent.error} />
      {recent.value && !others.length && <Text>None before this one.</Text>}
      {others.length > 0 && (
        <ul
          data-testid="recent-requests"
          style={{ margin: 0, paddingLeft: 'var(--bui-space-4)' }}
        >
          {others.slice(0, 5).map(r => (
            <li key={r.id}>
              <Link href={requestLink?.({ id: r.id }) ?? '#'}>
                {r.caseTitle}
              </Link>{' '}
              <RequestStateBadge state={r.state} />{' '}
              <Text variant="body-small" color="secondary">
                {formatDateTime(r.createdAt)}
              </Text>
            </li>
          ))}
        </ul>
      )}
    </Field>
  );
}

/**
 * One access request (the link of the approvers' notification): the request, its case
 * and the requester (name, catalog profile, recent requests) side by side, and the
 * decision buttons for whoever may decide now.
 */
export function AccessRequestPage() {
  const { id = '' } = useParams();
  const api = useApi(voiceRecordingApiRef);
  const identityApi = useApi(identityApiRef);
  const perms = useVoiceRecordingPermissions();
  const request = useAsyncRetry(() => api.getAccessRequest(id), [api, id]);
  const caseId = request.value?.caseId;
  const caseInfo = useAsync(
    async () => (caseId ? api.getCase(caseId) : undefined),
    [api, caseId],
  );
  const me = useAsync(
    async () => (await identityApi.getBackstageIdentity()).userEntityRef,
    [identityApi],
  );
  const [decision, setDecision] = useState<Decision>();
  const [notice, setNotice] = useState<string>();

  if (request.loading && !request.value)
    return <Skeleton width="100%" height={200} />;
  if (request.error || !request.value)
    return <ErrorAlert error={request.error} title="Request not shown" />;

  const r = request.value;
  const waitsForManager = awaitsManager(r);
  const isManager =
    waitsForManager &&
    Boolean(me.value) &&
    r.managerRef?.toLowerCase() === me.value?.toLowerCase();
  const canDecide =
    perms.canDecideAccessRequests && r.state === 'pending' && !waitsForManager;
  const canRevoke = perms.canDecideAccessRequests && r.state === 'approved';
  const start = (d: Decision) => {
    setNotice(undefined);
    setDecision(d);
  };

  return (
    <Flex direction="column" gap="4">
      <Flex gap="3" align="center" style={{ flexWrap: 'wrap' }}>
        <Text as="h2" variant="title-small" weight="bold">
          Access request for {r.caseTitle}
        </Text>
        <RequestStateBadge state={r.state} />
      </Flex>
      <Grid.Root columns={{ initial: '1', md: '3' }} gap="4">
        <Card>
          <CardHeader>
            <Text as="h3" variant="title-x-small" weight="bold">
              Request
            </Text>
          </CardHeader>
          <CardBody>
            <Flex direction="column" gap="3">
              <Field label="Reason">{r.reason}</Field>
              <Field label="Rights">{rightsText(r.rights)}</Field>
              <Field label="Expires">{formatDateTime(r.expiresAt)}</Field>
              <Field label="Requested">{formatDateTime(r.createdAt)}</Field>
              {r.managerRef && (
                <Field label="Manager">
                  <PersonName entityRef={r.managerRef} />
                  {waitsForManager ? ' (approval pending)' : ''}
                </Field>
              )}
              <Field label="Decision">
                <DecisionSummary request={r} />
              </Field>
            </Flex>
          </CardBody>
        </Card>
        <CaseCard
          title={r.caseTitle}
          value={caseInfo.value}
          error={caseInfo.error}
          loading={caseInfo.loading}
        />
        <Card>
          <CardHeader>
            <Text as="h3" variant="title-x-small" weight="bold">
              Requester
            </Text>
          </CardHeader>
          <CardBody>
            <Flex direction="column" gap="3">
              <Field label="Name">
                <PersonName entityRef={r.requesterRef} />
              </Field>
              <CatalogProfileLink entityRef={r.requesterRef} />
              {perms.canDecideAccessRequests && <RecentRequests request={r} />}
            </Flex>
          </CardBody>
        </Card>
      </Grid.Root>
      <Flex direction="column" gap="2">
        {(canDecide || canRevoke || isManager) && (
          <Flex gap="2" style={{ flexWrap: 'wrap' }}>
            {canDecide && (
              <>
                <Button variant="primary" onPress={() => start('approve')}>
                  Approve
                </Button>
                <Button variant="secondary" onPress={() => start('reject')}>
                  Reject
                </Button>
              </>
            )}
            {isManager && (
              <>
                <Button
                  variant="primary"
                  onPress={() => start('manager-approve')}
                >
                  Approve as manager
                </Button>
                <Button
                  variant="secondary"
                  onPress={() => start('manager-reject')}
                >
                  Reject as manager
                </Button>
              </>
            )}
            {canRevoke && (
              <Button variant="secondary" onPress={() => start('revoke')}>
                Revoke access
              </Button>
            )}
          </Flex>
        )}
        {perms.canDecideAccessRequests && waitsForManager && !isManager && (
          <Text as="p" variant="body-small" color="secondary">
            The requester's manager approves first; you can decide after.
          </Text>
        )}
        {notice && <SuccessAlert>{notice}</SuccessAlert>}
      </Flex>
      <DecisionDialog
        request={decision ? r : undefined}
        decision={decision}
        onClose={() => setDecision(undefined)}
        onDone={(updated, d) => {
          setDecision(undefined);
          setNotice(decisionDoneText(d, updated));
          request.retry();
        }}
      />
    </Flex>
  );
}
