import useAsync from 'react-use/esm/useAsync';
import { Card, CardBody, Flex, Link, Text } from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  RecordingAttention,
  voiceRecordingHealthReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { recordingHealthNumberRouteRef } from '../../routes';
import { formatDateTime } from '../ConversationsPage/format';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { AttentionBadge } from '../RecordingHealthPage/HealthBadges';

const ATTENTIONS: RecordingAttention[] = ['ok', 'warning', 'failed'];

/** The annotation's value when it is one the page knows. */
export function attentionOf(value: string | undefined) {
  return ATTENTIONS.find(a => a === value);
}

const SENTENCES: Record<RecordingAttention, string> = {
  ok: 'No recording alarm: its calls are being recorded.',
  warning: 'A recording alarm of warning severity is open.',
  failed:
    'A recording alarm is open: calls of this number may not be recorded.',
};

/**
 * The recorded number's recording health on its catalog entity: the catalog module's
 * annotation (what everybody who sees the entity sees); for admins
 * (`voice-recording.health.read`), its open alarms' sentences from the API and a link
 * to its Recording health view.
 */
export function EntityRecordingHealth(props: {
  numberId: string;
  /** the annotation's value */
  annotation?: string;
}) {
  const api = useApi(voiceRecordingApiRef);
  const healthLink = useRouteRef(recordingHealthNumberRouteRef);
  const { allowed, loading: checking } = usePermission({
    permission: voiceRecordingHealthReadPermission,
  });
  const detail = useAsync(
    async () => (allowed ? api.getNumberCoverage(props.numberId) : undefined),
    [api, allowed, props.numberId],
  );
  const coverage = detail.value?.coverage;
  const attention = coverage?.attention ?? attentionOf(props.annotation);

  // nothing known (MVR inactive, an older catalog module) and nothing to ask
  if (!attention && !allowed && !checking) return null;

  return (
    <Card>
      <CardBody>
        <Flex direction="column" gap="2" data-testid="entity-recording-health">
          <Flex align="center" gap="3" style={{ flexWrap: 'wrap' }}>
            <Text as="h3" variant="title-x-small">
              Recording health
            </Text>
            {attention && <AttentionBadge attention={attention} />}
            {allowed && healthLink && (
              <Link href={healthLink({ id: props.numberId })}>
                Open in Recording health
              </Link>
            )}
          </Flex>
          {attention && !coverage?.openAlarms.length && (
            <Text as="p" variant="body-medium" style={{ margin: 0 }}>
              {SENTENCES[attention]}
            </Text>
          )}
          {coverage && coverage.openAlarms.length > 0 && (
            <ul
              aria-label="Open recording alarms"
              style={{ margin: 0, fontSize: 'var(--bui-font-size-3)' }}
            >
              {coverage.openAlarms.map(a => (
                <li key={a.id}>{a.summary}</li>
              ))}
            </ul>
          )}
          {coverage && (
            <Text
              as="p"
              variant="body-small"
              color="secondary"
              style={{ margin: 0 }}
            >
              Last recorded call:{' '}
              {coverage.lastRecordedCallAt
                ? formatDateTime(coverage.lastRecordedCallAt)
                : 'never'}
            </Text>
          )}
          <ErrorAlert error={detail.error} title="Recording health" />
        </Flex>
      </CardBody>
    </Card>
  );
}
