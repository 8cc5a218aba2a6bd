import useAsync from 'react-use/esm/useAsync';
import {
  LinearProgress,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
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
      <Typography variant="h6" component="h2">
        Access history
      </Typography>
      {loading && <LinearProgress />}
      <ErrorAlert error={error} />
      {value && value.items.length === 0 && (
        <Typography variant="body2">Nobody has accessed it yet.</Typography>
      )}
      {value && value.items.length > 0 && (
        <Table size="small" aria-label="Access history entries">
          <TableHead>
            <TableRow>
              <TableCell>When</TableCell>
              <TableCell>Who</TableCell>
              <TableCell>Action</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {value.items.map(entry => (
              <TableRow key={entry.id} data-testid="access-history-row">
                <TableCell>{formatDateTime(entry.at)}</TableCell>
                <TableCell>
                  <PersonName entityRef={entry.actorRef} />
                </TableCell>
                <TableCell title={entry.action}>
                  {auditActionLabel(entry.action)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </section>
  );
}
