import { Badge, Flex, Text } from '@backstage/ui';
import type {
  ConversationQualityCheck,
  QualityVerdict,
} from '@mvr/plugin-voice-recording-common';
import { formatDateTime } from '../ConversationsPage/format';

/** What each verdict is called on the page. */
export const VERDICT_LABELS: Record<QualityVerdict, string> = {
  ok: 'Quality OK',
  warning: 'Quality warning',
  failed: 'Quality failed',
};

/** Backstage UI's status tokens (light and dark themes); never colour alone. */
const VERDICT_COLOURS: Record<
  QualityVerdict,
  { backgroundColor: string; color: string; border: string }
> = {
  ok: {
    backgroundColor: 'var(--bui-positive-bg-subdued)',
    color: 'var(--bui-positive-fg-subdued)',
    border: '1px solid var(--bui-positive-border)',
  },
  warning: {
    backgroundColor: 'var(--bui-warning-bg-subdued)',
    color: 'var(--bui-warning-fg-subdued)',
    border: '1px solid var(--bui-warning-border)',
  },
  failed: {
    backgroundColor: 'var(--bui-negative-bg-subdued)',
    color: 'var(--bui-negative-fg-subdued)',
    border: '1px solid var(--bui-negative-border)',
  },
};

/** "Quality failed: Only one side spoke ...; Packet loss 10.2% ..." */
export function verdictSentence(check: ConversationQualityCheck): string {
  const label = VERDICT_LABELS[check.verdict] ?? check.verdict;
  const reasons = check.reasons.map(r => r.text).filter(Boolean);
  return reasons.length ? `${label}: ${reasons.join('; ')}` : label;
}

/**
 * The quality check's verdict as a badge. In lists only `warning` and `failed` stand
 * out (`showOk` off): an ok call shows nothing. The reasons are its tooltip and its
 * accessible name.
 */
export function QualityVerdictBadge(props: {
  check?: ConversationQualityCheck;
  showOk?: boolean;
}) {
  const { check } = props;
  if (!check) return null;
  if (check.verdict === 'ok' && !props.showOk) return null;
  const sentence = verdictSentence(check);
  return (
    <Badge
      size="small"
      role="img"
      aria-label={sentence}
      title={sentence}
      data-testid="quality-verdict"
      data-verdict={check.verdict}
      style={VERDICT_COLOURS[check.verdict] ?? VERDICT_COLOURS.warning}
    >
      {VERDICT_LABELS[check.verdict] ?? check.verdict}
    </Badge>
  );
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

const SIDE_LABELS = { recorded: 'Recorded user', other: 'Other party' };

/**
 * Call page: the quality check's verdict with its reasons (sentences with the figures),
 * each channel's speech activity, and when the check was made. Calls archived before
 * recorders made the check say so.
 */
export function QualityCheckDetails(props: {
  check?: ConversationQualityCheck;
}) {
  const { check } = props;
  if (!check) {
    return (
      <Text
        as="p"
        variant="body-medium"
        data-testid="quality-check-none"
        style={{ margin: 0 }}
      >
        No quality check (the call was archived before recorders made one).
      </Text>
    );
  }
  return (
    <Flex direction="column" gap="2" data-testid="quality-check">
      <Flex align="center" gap="2" style={{ flexWrap: 'wrap' }}>
        <QualityVerdictBadge check={check} showOk />
        <Text as="span" variant="body-small" color="secondary">
          checked {formatDateTime(check.checkedAt)}
        </Text>
      </Flex>
      {check.reasons.length === 0 ? (
        <Text as="p" variant="body-medium" style={{ margin: 0 }}>
          No problem found: both sides carry audio, and loss, jitter and gaps
          are within the thresholds.
        </Text>
      ) : (
        <ul
          aria-label="Quality check findings"
          data-testid="quality-reasons"
          style={{ margin: 0, fontSize: 'var(--bui-font-size-3)' }}
        >
          {check.reasons.map((r, i) => (
            <li key={`${r.code}-${i}`} data-severity={r.severity}>
              <strong>{r.severity === 'failed' ? 'Failed' : 'Warning'}:</strong>{' '}
              {r.text}
            </li>
          ))}
        </ul>
      )}
      {(check.channels.length > 0 || check.packetLossShare !== undefined) && (
        <Text
          as="p"
          variant="body-small"
          color="secondary"
          data-testid="quality-activity"
          style={{ margin: 0 }}
        >
          {[
            ...check.channels.map(
              c =>
                `${SIDE_LABELS[c.side] ?? c.side}: speech in ${percent(
                  c.speechShare,
                )} of the call${
                  c.clippedShare > 0
                    ? `, ${percent(c.clippedShare)} of it clipped`
                    : ''
                }`,
            ),
            ...(check.packetLossShare !== undefined
              ? [`packet loss ${percent(check.packetLossShare)}`]
              : []),
            ...(check.longestGapMs
              ? [`longest RTP gap ${(check.longestGapMs / 1000).toFixed(1)} s`]
              : []),
          ].join('; ')}
          .
        </Text>
      )}
    </Flex>
  );
}
