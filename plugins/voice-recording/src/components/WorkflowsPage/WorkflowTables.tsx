import { ReactNode } from 'react';
import {
  Cell,
  Column,
  Flex,
  Link,
  Row,
  TableBody,
  TableHeader,
  TableRoot,
  Text,
} from '@backstage/ui';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import type { AccessRequest } from '@mvr/plugin-voice-recording-common';
import { accessRequestRouteRef } from '../../routes';
import { PersonName } from '../PersonName/PersonName';
import { RequestStateBadge } from './RequestStateBadge';
import { formatDateTime, rightsText } from './requestText';

/** The columns a request list may show. */
export type RequestColumn =
  | 'case'
  | 'requester'
  | 'reason'
  | 'rights'
  | 'expiresAt'
  | 'state'
  | 'decision'
  | 'actions';

const HEADERS: Record<RequestColumn, string> = {
  case: 'Case',
  requester: 'Requester',
  reason: 'Reason',
  rights: 'Rights',
  expiresAt: 'Expires',
  state: 'State',
  decision: 'Decision',
  actions: 'Actions',
};

/** Who decided, when, and their comment (or the revocation's). */
export function DecisionSummary(props: { request: AccessRequest }) {
  const r = props.request;
  const parts: ReactNode[] = [];
  if (r.managerApprovedBy) {
    parts.push(
      <Text as="span" key="manager" variant="body-small">
        Manager <PersonName entityRef={r.managerApprovedBy} /> approved
        {r.managerComment ? `: “${r.managerComment}”` : ''}
      </Text>,
    );
  }
  if (r.decidedBy) {
    parts.push(
      <Text as="span" key="decided" variant="body-small">
        <PersonName entityRef={r.decidedBy} />, {formatDateTime(r.decidedAt)}
        {r.decisionComment ? `: “${r.decisionComment}”` : ''}
      </Text>,
    );
  }
  if (r.revokedBy) {
    parts.push(
      <Text as="span" key="revoked" variant="body-small">
        Revoked by <PersonName entityRef={r.revokedBy} />,{' '}
        {formatDateTime(r.revokedAt)}
        {r.revokeComment ? `: “${r.revokeComment}”` : ''}
      </Text>,
    );
  }
  if (!parts.length) return <>—</>;
  return (
    <Flex direction="column" gap="1">
      {parts}
    </Flex>
  );
}

/**
 * Access requests as a BUI table: the case links to the request's page (the same page
 * the approvers' notifications open), people by name.
 */
export function RequestsTable(props: {
  label: string;
  items: AccessRequest[];
  columns: RequestColumn[];
  empty: string;
  actions?: (request: AccessRequest) => ReactNode;
  testId?: string;
}) {
  const requestLink = useRouteRef(accessRequestRouteRef);
  const cell = (r: AccessRequest, c: RequestColumn) => {
    switch (c) {
      case 'case':
        return (
          <Link href={requestLink?.({ id: r.id }) ?? '#'}>{r.caseTitle}</Link>
        );
      case 'requester':
        return <PersonName entityRef={r.requesterRef} />;
      case 'reason':
        return r.reason;
      case 'rights':
        return rightsText(r.rights);
      case 'expiresAt':
        return formatDateTime(r.expiresAt);
      case 'state':
        return <RequestStateBadge state={r.state} />;
      case 'decision':
        return <DecisionSummary request={r} />;
      case 'actions':
        return props.actions?.(r) ?? null;
      default:
        return null;
    }
  };
  return (
    <TableRoot aria-label={props.label} data-testid={props.testId}>
      <TableHeader>
        {props.columns.map((c, i) => (
          <Column key={c} id={c} isRowHeader={i === 0}>
            {HEADERS[c]}
          </Column>
        ))}
      </TableHeader>
      <TableBody renderEmptyState={() => props.empty}>
        {props.items.map(r => (
          <Row key={r.id} id={r.id} data-testid={`request-row-${r.id}`}>
            {props.columns.map(c => (
              <Cell key={c}>{cell(r, c)}</Cell>
            ))}
          </Row>
        ))}
      </TableBody>
    </TableRoot>
  );
}
