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
    // the text is the tooltip (title) and the accessible name
    <span
      data-testid="quality-warning"
      role="img"
      aria-label={text}
      title={text}
      style={{
        color: 'var(--bui-warning-fg-subdued)',
        fontSize: 'var(--bui-font-size-4)',
        verticalAlign: 'middle',
        cursor: 'help',
      }}
    >
      ⚠
    </span>
  );
}
