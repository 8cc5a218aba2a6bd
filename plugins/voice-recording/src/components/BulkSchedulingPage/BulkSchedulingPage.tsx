import { FormEvent, useState } from 'react';
import {
  Button,
  Card,
  CardBody,
  Checkbox,
  Flex,
  Skeleton,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  BULK_CSV_COLUMNS,
  BULK_CSV_COLUMN_HELP,
  BulkRowError,
} from '@mvr/plugin-voice-recording-common';
import {
  BulkImportResult,
  DownloadedFile,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { errorDetails } from '../../api/errors';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { BulkErrorTable, BulkRejectionAlert } from './BulkErrorTable';
import { BulkImportSummary } from './BulkImportSummary';
import { readFileAsText, saveFile } from './files';

/** Upload a CSV that names a planning model and settings per number; download template/export. */
export function BulkSchedulingPage() {
  const api = useApi(voiceRecordingApiRef);
  const [file, setFile] = useState<File>();
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BulkImportResult>();
  const [error, setError] = useState<unknown>();
  const [rowErrors, setRowErrors] = useState<BulkRowError[]>([]);
  const [downloadError, setDownloadError] = useState<unknown>();

  // Each message belongs to its action (download or upload) and is shown next to it;
  // a change of the upload form makes the last upload's outcome stale.
  const formChanged = () => {
    setResult(undefined);
    setError(undefined);
    setRowErrors([]);
  };

  const download = async (fetcher: () => Promise<DownloadedFile>) => {
    setDownloadError(undefined);
    try {
      const { blob, fileName } = await fetcher();
      saveFile(blob, fileName);
    } catch (e) {
      setDownloadError(e);
    }
  };

  const upload = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setResult(undefined);
    setError(undefined);
    setRowErrors([]);
    try {
      const csv = await readFileAsText(file);
      setResult(await api.importBulk(csv, { dryRun }));
    } catch (err) {
      setError(err);
      setRowErrors(errorDetails(err).errors ?? []);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Flex direction="column" gap="4">
      <Flex gap="2" style={{ flexWrap: 'wrap' }}>
        <Button
          variant="secondary"
          onPress={() => download(() => api.downloadBulkTemplate())}
        >
          Download template
        </Button>
        <Button
          variant="secondary"
          onPress={() => download(() => api.exportBulk())}
        >
          Export current configuration
        </Button>
      </Flex>
      <ErrorAlert error={downloadError} title="Download failed" />
      <Card>
        <CardBody>
          <form onSubmit={upload} aria-label="Bulk import">
            <Flex direction="column" gap="3">
              <Text as="h2" variant="title-x-small">
                Upload a CSV file
              </Text>
              <Text as="p" variant="body-small" color="secondary">
                Columns: {BULK_CSV_COLUMNS.join(', ')}. Nothing is applied when
                any row is wrong.
              </Text>
              <Flex align="center" gap="4" style={{ flexWrap: 'wrap' }}>
                {/* BUI has no file field: a native file input with its label. */}
                <Flex align="center" gap="2">
                  <label
                    htmlFor="voice-recording-bulk-file"
                    style={{
                      color: 'var(--bui-fg-primary)',
                      fontSize: 'var(--bui-font-size-3)',
                    }}
                  >
                    CSV file
                  </label>
                  <input
                    id="voice-recording-bulk-file"
                    type="file"
                    accept=".csv,text/csv"
                    style={{
                      color: 'var(--bui-fg-primary)',
                      fontFamily: 'inherit',
                      maxWidth: '100%',
                    }}
                    onChange={e => {
                      setFile(e.target.files?.[0] ?? undefined);
                      formChanged();
                    }}
                  />
                </Flex>
                <Checkbox
                  isSelected={dryRun}
                  onChange={v => {
                    setDryRun(v);
                    formChanged();
                  }}
                >
                  Validate only (dry run)
                </Checkbox>
                <Button
                  type="submit"
                  variant="primary"
                  isDisabled={!file || busy}
                >
                  Upload
                </Button>
              </Flex>
              {busy && <Skeleton width="100%" height={4} />}
              {result && (
                <BulkImportSummary result={result} fileName={file?.name} />
              )}
              {rowErrors.length > 0 ? (
                <>
                  <BulkRejectionAlert errors={rowErrors} />
                  <div style={{ overflowX: 'auto' }}>
                    <BulkErrorTable errors={rowErrors} />
                  </div>
                </>
              ) : (
                <ErrorAlert error={error} />
              )}
            </Flex>
          </form>
        </CardBody>
      </Card>
      <details>
        <summary>
          <Text>Column reference</Text>
        </summary>
        <ul>
          {BULK_CSV_COLUMNS.map(c => (
            <li key={c}>
              <Text>
                <code>{c}</code>: {BULK_CSV_COLUMN_HELP[c]}
              </Text>
            </li>
          ))}
        </ul>
      </details>
    </Flex>
  );
}
