import useAsync from 'react-use/esm/useAsync';
import {
  Alert,
  Card,
  CardBody,
  Flex,
  Grid,
  Link,
  Skeleton,
  Text,
} from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import {
  ANNOTATION_NUMBER,
  ANNOTATION_NUMBER_ID,
  ANNOTATION_RECORDING_HEALTH,
} from '../../constants';
import { numberDetailRouteRef } from '../../routes';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import {
  RecordingRule,
  recordingRuleKind,
} from '../RecordingRule/RecordingRule';
import { NumberSettingsSummary } from './NumberSettingsSummary';
import { EntityRecordingHealth } from './EntityRecordingHealth';

/** "Voice recording" tab of a recorded-number entity: status, settings and schedule. */
export function EntityVoiceRecordingContent() {
  const { entity } = useEntity();
  const api = useApi(voiceRecordingApiRef);
  const detailLink = useRouteRef(numberDetailRouteRef);
  const annotations = entity.metadata.annotations ?? {};
  const id = annotations[ANNOTATION_NUMBER_ID];
  const phone = annotations[ANNOTATION_NUMBER];

  const {
    value: number,
    loading,
    error,
  } = useAsync(async () => {
    if (id) return api.getNumber(id);
    if (phone) return api.getNumberByPhone(phone);
    return undefined;
  }, [api, id, phone]);

  if (!id && !phone) {
    return (
      <Alert
        status="info"
        icon
        title={`This entity has no ${ANNOTATION_NUMBER_ID} or ${ANNOTATION_NUMBER} annotation.`}
      />
    );
  }
  if (loading) return <Skeleton width="100%" height={32} />;
  if (error) {
    if (errorStatus(error) === 404) {
      return (
        <Alert
          status="warning"
          icon
          data-testid="number-not-visible"
          title={`${phone ?? id} is not a recorded number you can see.`}
        />
      );
    }
    return <ErrorAlert error={error} />;
  }
  if (!number) return null;

  return (
    <Flex direction="column" gap="4">
      <Flex align="center" gap="4" style={{ flexWrap: 'wrap' }}>
        <Text as="h2" variant="title-small" data-testid="number-title">
          {number.number}
        </Text>
        <StatusBadge status={number.status} fmu={number.fmu} />
        {detailLink && (
          <Link href={detailLink({ id: number.id })}>
            Open in Voice recording
          </Link>
        )}
      </Flex>
      {number.mvrActive && (
        <EntityRecordingHealth
          numberId={number.id}
          annotation={annotations[ANNOTATION_RECORDING_HEALTH]}
        />
      )}
      <Grid.Root columns={{ initial: '1', md: '3' }} gap="4">
        <Card>
          <CardBody>
            <NumberSettingsSummary number={number} />
          </CardBody>
        </Card>
        <Grid.Item colSpan={{ initial: '1', md: '2' }} style={{ minWidth: 0 }}>
          {/* The rule names the schedule's time zone; the grid has no second caption. */}
          <RecordingRule number={number} />
          {recordingRuleKind(number) === 'schedule' && (
            <WeekGrid slots={number.slots} />
          )}
        </Grid.Item>
      </Grid.Root>
    </Flex>
  );
}
