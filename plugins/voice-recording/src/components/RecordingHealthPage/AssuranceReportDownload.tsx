import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { Button, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { DateTime } from 'luxon';
import {
  AssuranceReportFormat,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { saveFile } from '../BulkSchedulingPage/files';
import { DateField } from '../DateField/DateField';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { isoDay } from './healthText';

/**
 * The daily recording assurance report of a chosen day (yesterday, the last whole
 * day, by default): CSV, or HTML that a browser prints to PDF.
 */
export function AssuranceReportDownload() {
  const api = useApi(voiceRecordingApiRef);
  const today = isoDay(DateTime.local());
  const [day, setDay] = useState(isoDay(DateTime.local().minus({ days: 1 })));
  const [state, run] = useAsyncFn(
    async (format: AssuranceReportFormat) => {
      const file = await api.downloadAssuranceReport(day, format);
      saveFile(file.blob, file.fileName);
    },
    [api, day],
  );
  const missing = !day;
  const future = Boolean(day && day > today);
  return (
    <Flex direction="column" gap="2">
      <Text as="h2" variant="title-x-small">
        Recording assurance report
      </Text>
      <Text as="p" variant="body-small" color="secondary" style={{ margin: 0 }}>
        Per number, the time it was expected to be recorded against the calls
        recorded, its problems and how they were handled: the evidence a
        regulator asks for.
      </Text>
      <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
        <DateField
          type="date"
          label="Report day"
          value={day}
          onChange={setDay}
          maxWidth="12rem"
          error={future ? 'Report day: must not be after today' : undefined}
        />
        <Button
          variant="secondary"
          isDisabled={missing || future || state.loading}
          onPress={() => run('csv')}
        >
          Download CSV
        </Button>
        <Button
          variant="secondary"
          isDisabled={missing || future || state.loading}
          onPress={() => run('html')}
        >
          Download HTML (print to PDF)
        </Button>
      </Flex>
      <ErrorAlert error={state.error} title="Download failed" />
    </Flex>
  );
}
