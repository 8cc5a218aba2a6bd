import { FormEvent, useState } from 'react';
import {
  Box,
  Button,
  Checkbox,
  FormControlLabel,
  LinearProgress,
  Paper,
  Typography,
} from '@material-ui/core';
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
    <Box display="flex" flexDirection="column" gridGap={16}>
      <Box display="flex" gridGap={8}>
        <Button
          variant="outlined"
          onClick={() => download(() => api.downloadBulkTemplate())}
        >
          Download template
        </Button>
        <Button
          variant="outlined"
          onClick={() => download(() => api.exportBulk())}
        >
          Export current configuration
        </Button>
      </Box>
      <ErrorAlert error={downloadError} title="Download failed" />
      <Paper variant="outlined">
        <Box p={2} component="form" onSubmit={upload} aria-label="Bulk import">
          <Typography variant="h6" component="h2" gutterBottom>
            Upload a CSV file
          </Typography>
          <Typography variant="body2" color="textSecondary" gutterBottom>
            Columns: {BULK_CSV_COLUMNS.join(', ')}. Nothing is applied when any
            row is wrong.
          </Typography>
          <Box display="flex" alignItems="center" gridGap={16} flexWrap="wrap">
            <label htmlFor="voice-recording-bulk-file">CSV file</label>
            <input
              id="voice-recording-bulk-file"
              type="file"
              accept=".csv,text/csv"
              onChange={e => {
                setFile(e.target.files?.[0] ?? undefined);
                formChanged();
              }}
            />
            <FormControlLabel
              label="Validate only (dry run)"
              control={
                <Checkbox
                  checked={dryRun}
                  onChange={e => {
                    setDryRun(e.target.checked);
                    formChanged();
                  }}
                />
              }
            />
            <Button
              type="submit"
              variant="contained"
              color="primary"
              disabled={!file || busy}
            >
              Upload
            </Button>
          </Box>
          {busy && <LinearProgress />}
          <Box display="flex" flexDirection="column" gridGap={8} mt={1}>
            {result && (
              <BulkImportSummary result={result} fileName={file?.name} />
            )}
            {rowErrors.length > 0 ? (
              <>
                <BulkRejectionAlert errors={rowErrors} />
                <BulkErrorTable errors={rowErrors} />
              </>
            ) : (
              <ErrorAlert error={error} />
            )}
          </Box>
        </Box>
      </Paper>
      <details>
        <summary>Column reference</summary>
        <ul>
          {BULK_CSV_COLUMNS.map(c => (
            <li key={c}>
              <code>{c}</code>: {BULK_CSV_COLUMN_HELP[c]}
            </li>
          ))}
        </ul>
      </details>
    </Box>
  );
}
