import { Alert } from '@backstage/ui';
import type { BulkImportResult } from '../../api/VoiceRecordingApi';

/** What a successful upload did (or would do, for a dry run). */
export function BulkImportSummary(props: {
  result: BulkImportResult;
  fileName?: string;
}) {
  const { applied, unchanged, dryRun } = props.result;
  const from = props.fileName ? ` from ${props.fileName}` : '';
  return (
    <Alert
      status="success"
      icon
      role="status"
      data-testid="bulk-import-summary"
      title={
        dryRun
          ? `The file${from} is valid: ${applied} number(s) would change, ${unchanged} unchanged. Nothing was applied (dry run).`
          : `Imported${from}: ${applied} number(s) updated, ${unchanged} unchanged.`
      }
    />
  );
}
