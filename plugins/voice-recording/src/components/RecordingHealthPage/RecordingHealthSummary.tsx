import { Card, CardBody, Flex, Grid, Text } from '@backstage/ui';
import type { RecordingHealthSummary as Summary } from '@mvr/plugin-voice-recording-common';
import { DataTable, Td, Th } from '../ConversationsPage/DataTable';
import { PersonName } from '../PersonName/PersonName';
import { formatHours, refusedReasonsText, refusedText } from './healthText';

function Figure(props: {
  label: string;
  value: string | number;
  /** a second, smaller figure under the value */
  detail?: string;
  id: string;
}) {
  return (
    <Card>
      <CardBody>
        <Flex direction="column" gap="1" data-testid={`figure-${props.id}`}>
          <Text variant="body-small" color="secondary">
            {props.label}
          </Text>
          <Text variant="title-small" weight="bold">
            {props.value}
          </Text>
          {props.detail && (
            <Text variant="body-small" color="secondary">
              {props.detail}
            </Text>
          )}
        </Flex>
      </CardBody>
    </Card>
  );
}

/** The overall figures of the period, then one row per group. */
export function RecordingHealthSummary(props: { summary: Summary }) {
  const { overall, groups } = props.summary;
  return (
    <Flex direction="column" gap="4">
      <Grid.Root
        columns={{ initial: '2', sm: '3', lg: '6' }}
        gap="3"
        aria-label="Overall figures"
        role="group"
      >
        <Figure
          id="attention"
          label="Numbers needing attention"
          value={`${overall.numbersNeedingAttention} of ${overall.numbers}`}
        />
        <Figure id="alarms" label="Open alarms" value={overall.openAlarms} />
        <Figure
          id="expected"
          label="Expected recording time"
          value={formatHours(overall.expectedSeconds)}
        />
        <Figure
          id="recorded"
          label="Recorded calls"
          value={overall.recordedCalls}
          detail={formatHours(overall.recordedSeconds)}
        />
        <Figure
          id="refused"
          label="Refused calls"
          value={overall.refusedCalls}
          detail={refusedReasonsText(overall) || undefined}
        />
        <Figure
          id="failed-quality"
          label="Failed quality"
          value={overall.failedQualityCalls}
          detail={`${overall.warningQualityCalls} with warnings`}
        />
      </Grid.Root>
      {groups.length > 0 && (
        <div style={{ overflowX: 'auto' }}>
          <DataTable aria-label="Figures per group" data-testid="group-figures">
            <thead>
              <tr>
                <Th>Group</Th>
                <Th>Numbers</Th>
                <Th>Needing attention</Th>
                <Th>Expected</Th>
                <Th>Recorded calls</Th>
                <Th>Refused</Th>
                <Th>Failed quality</Th>
              </tr>
            </thead>
            <tbody>
              {groups.map(g => (
                <tr key={g.groupRef} data-testid={`group-row-${g.groupRef}`}>
                  <Td>
                    <PersonName entityRef={g.groupRef} />
                  </Td>
                  <Td>{g.numbers}</Td>
                  <Td>{g.numbersNeedingAttention}</Td>
                  <Td>{formatHours(g.expectedSeconds)}</Td>
                  <Td>{g.recordedCalls}</Td>
                  <Td>{refusedText(g)}</Td>
                  <Td>{g.failedQualityCalls}</Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
        </div>
      )}
    </Flex>
  );
}
