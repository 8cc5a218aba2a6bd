import { Flex, Text } from '@backstage/ui';
import { DataTable, RowTh, Td, Th } from '../ConversationsPage/DataTable';
import { auditDetailRows } from './auditSentences';

/**
 * The details of an audit entry as tables, never raw JSON: a change as field / before
 * / after, everything else as key / value (nested keys dotted).
 */
export function AuditDetails(props: { details?: Record<string, unknown> }) {
  const rows = auditDetailRows(props.details);
  if (rows.length === 0)
    return <Text variant="body-medium">No details recorded.</Text>;
  const changes = rows.flatMap(r => (r.kind === 'change' ? [r] : []));
  const values = rows.flatMap(r => (r.kind === 'value' ? [r] : []));
  const wrap = { overflowWrap: 'anywhere' as const };
  return (
    <Flex direction="column" gap="3">
      {changes.length > 0 && (
        <DataTable aria-label="Changes" data-testid="audit-changes">
          <thead>
            <tr>
              <Th>Field</Th>
              <Th>Before</Th>
              <Th>After</Th>
            </tr>
          </thead>
          <tbody>
            {changes.map(r => (
              <tr key={r.field}>
                <RowTh style={wrap}>{r.field}</RowTh>
                <Td style={wrap}>{r.before}</Td>
                <Td style={wrap}>{r.after}</Td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      {values.length > 0 && (
        <DataTable aria-label="Details" data-testid="audit-details">
          <thead>
            <tr>
              <Th>Key</Th>
              <Th>Value</Th>
            </tr>
          </thead>
          <tbody>
            {values.map(r => (
              <tr key={r.key}>
                <RowTh style={wrap}>{r.key}</RowTh>
                <Td style={wrap}>{r.value}</Td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
    </Flex>
  );
}
