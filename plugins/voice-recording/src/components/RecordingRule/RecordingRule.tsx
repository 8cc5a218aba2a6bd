import { Text } from '@backstage/ui';
import type { RecordedNumber } from '@mvr/plugin-voice-recording-common';

/** Which rule decides whether a number is recorded: FMU, off, manual status or the schedule. */
export type RecordingRuleKind = 'fmu' | 'inactive' | 'manual' | 'schedule';

export function recordingRuleKind(
  number: Pick<RecordedNumber, 'fmu' | 'mvrActive' | 'settings'>,
): RecordingRuleKind {
  if (number.fmu) return 'fmu';
  if (!number.mvrActive) return 'inactive';
  if (number.settings.statusMode === 'manual') return 'manual';
  return 'schedule';
}

/**
 * One sentence saying what decides recording of a number, e.g.
 * "Recorded: follows your manual status (Professional)". `owner` words it for the
 * number's own user ("your") rather than an administrator ("the").
 */
export function describeRecordingRule(
  number: Pick<RecordedNumber, 'fmu' | 'mvrActive' | 'settings'>,
  owner: boolean = false,
): string {
  const whose = owner ? 'your' : 'the';
  switch (recordingRuleKind(number)) {
    case 'fmu':
      return 'Cannot be recorded (FMU)';
    case 'inactive':
      return 'Not recorded: MVR is not active';
    case 'manual':
      return number.settings.activeStatus === 'professional'
        ? `Recorded: follows ${whose} manual status (Professional)`
        : `Not recorded: follows ${whose} manual status (Private)`;
    default:
      return `Recorded: follows the weekly schedule (times in ${number.settings.timeZone})`;
  }
}

/** The sentence of describeRecordingRule as a line of text. */
export function RecordingRule(props: {
  number: Pick<RecordedNumber, 'fmu' | 'mvrActive' | 'settings'>;
  owner?: boolean;
}) {
  return (
    <Text
      as="p"
      data-testid="recording-rule"
      data-rule={recordingRuleKind(props.number)}
    >
      {describeRecordingRule(props.number, props.owner)}
    </Text>
  );
}
