import useAsync from 'react-use/esm/useAsync';
import {
  Cell,
  Column,
  Row,
  Skeleton,
  TableBody,
  TableHeader,
  TableRoot,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { formatDateTime } from '../ConversationsPage/format';
import { auditActionLabel } from '../AuditPage/auditSentences';
import { PersonName } from '../PersonName/PersonName';

/** Who viewed, played, downloaded or exported a conversation (admins), newest first. */
export function AccessHistory(props: {
  conversationId: string;
  reload?: number;
}) {
  const api = useApi(voiceRecordingApiRef);
  const { value, loading, error } = useAsync(
    () => api.getAccessHistory(props.conversationId),
    [api, props.conversationId, props.reload],
  );
  return (
    <section aria-label="Access history" data-testid="access-history">
      <Text as="h2" variant="title-small">
        Access history
      </Text>
      {loading && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Loading the access history"
        />
      )}
      <ErrorAlert error={error} />
      {value && value.items.length === 0 && (
        <Text as="p" variant="body-medium">
          Nobody has accessed it yet.
        </Text>
      )}
      {value && value.items.length > 0 && (
        <TableRoot aria-label="Access history entries">
          <TableHeader>
            <Column isRowHeader>When</Column>
            <Column>Who</Column>
            <Column>Action</Column>
          </TableHeader>
          <TableBody>
            {value.items.map(entry => (
              <Row
                key={entry.id}
                id={entry.id}
                data-testid="access-history-row"
              >
                <Cell>{formatDateTime(entry.at)}</Cell>
                <Cell>
                  <PersonName entityRef={entry.actorRef} />
                </Cell>
                <Cell>
                  <span title={entry.action}>
                    {auditActionLabel(entry.action)}
                  </span>
                </Cell>
              </Row>
            ))}
          </TableBody>
        </TableRoot>
      )}
    </section>
  );
}
