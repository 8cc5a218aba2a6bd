import { Tooltip } from '@material-ui/core';
import WarningIcon from '@material-ui/icons/Warning';

/** Readable text of the backend's quality warning codes; unknown ones are shown as sent. */
const WARNING_TEXT: Record<string, string> = {
  'packet-loss': 'Packets were lost',
  gaps: 'The audio has gaps',
  'one-sided': 'Only one side carried audio',
  jitter: 'High jitter',
  'no-audio': 'No audio',
};

export function qualityWarningText(code: string): string {
  return WARNING_TEXT[code] ?? code;
}

/** A warning icon whose tooltip (and accessible name) lists the quality warnings. */
export function QualityWarnings(props: { warnings?: string[] }) {
  const warnings = props.warnings ?? [];
  if (warnings.length === 0) return null;
  const text = `Quality warnings: ${warnings
    .map(qualityWarningText)
    .join('; ')}`;
  return (
    <Tooltip title={text}>
      <WarningIcon
        data-testid="quality-warning"
        aria-label={text}
        role="img"
        aria-hidden={false}
        fontSize="small"
        style={{ color: '#ed6c02', verticalAlign: 'middle' }}
      />
    </Tooltip>
  );
}
