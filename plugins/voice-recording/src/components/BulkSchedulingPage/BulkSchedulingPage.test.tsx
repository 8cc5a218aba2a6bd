import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { responseError } from '../../testUtils/fixtures';
import { BulkSchedulingPage } from './BulkSchedulingPage';
import { BulkErrorTable } from './BulkErrorTable';

const CSV =
  'number,planning_model,status_mode,active_status,beep,sms,self_management\n+32470000000,Nope,auto,professional,yes,no,no\n';

function chooseFile(content: string, name = 'schedule.csv') {
  const input = screen.getByLabelText('CSV file') as HTMLInputElement;
  fireEvent.change(input, {
    target: { files: [new File([content], name, { type: 'text/csv' })] },
  });
}

describe('BulkErrorTable', () => {
  it('lists line, number, column and message of each wrong row', async () => {
    await renderInTestApp(
      <BulkErrorTable
        errors={[
          {
            line: 2,
            number: '+32470000000',
            column: 'planning_model',
            message: 'unknown planning model "Nope"',
          },
          { line: 4, message: 'expected 7 values, found 3' },
        ]}
      />,
    );
    const rows = within(screen.getByTestId('bulk-error-table')).getAllByTestId(
      'bulk-error-row',
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent(
      '2+32470000000planning_modelunknown planning model "Nope"',
    );
    expect(rows[1]).toHaveTextContent('4expected 7 values, found 3');
  });
});

describe('BulkSchedulingPage', () => {
  it('sends the file text and shows every wrong row the backend reports', async () => {
    const errors = [
      {
        line: 2,
        number: '+32470000000',
        column: 'planning_model',
        message: 'unknown planning model "Nope"',
      },
      {
        line: 3,
        number: '+32470999999',
        column: 'number',
        message: 'MVR is not active for +32470999999',
      },
    ];
    const importBulk = jest.fn(async () => {
      throw await responseError(
        400,
        'InputError',
        'the CSV has errors on 2 line(s), nothing was applied: line 2: unknown planning model "Nope"; ... (7 errors in details.errors)',
        { errors },
      );
    });
    await renderInTestApp(<BulkSchedulingPage />, {
      apis: [[voiceRecordingApiRef, { importBulk }]],
    });
    chooseFile(CSV);
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));

    const table = await screen.findByTestId('bulk-error-table');
    expect(importBulk).toHaveBeenCalledWith(CSV, { dryRun: false });
    expect(within(table).getAllByTestId('bulk-error-row')).toHaveLength(2);
    expect(table).toHaveTextContent('MVR is not active for +32470999999');
    // In a person's words, not the backend's developer message.
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent(
      '2 lines have errors; nothing was changed.',
    );
    expect(document.body).not.toHaveTextContent('details.errors');
    expect(document.body).not.toHaveTextContent('{');
  });

  it('counts lines, not errors: two errors on one line is "1 line has errors"', async () => {
    const importBulk = jest.fn(async () => {
      throw await responseError(400, 'InputError', 'bad', {
        errors: [
          { line: 5, column: 'beep', message: 'expected yes or no' },
          { line: 5, column: 'sms', message: 'expected yes or no' },
        ],
      });
    });
    await renderInTestApp(<BulkSchedulingPage />, {
      apis: [[voiceRecordingApiRef, { importBulk }]],
    });
    chooseFile(CSV);
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));
    const rows = await screen.findAllByTestId('bulk-error-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('5beepexpected yes or no');
    expect(screen.getByRole('alert')).toHaveTextContent(
      '1 line has errors; nothing was changed.',
    );
  });

  it("clears the rejected upload's messages when another file is chosen", async () => {
    const importBulk = jest.fn(async () => {
      throw await responseError(400, 'InputError', 'bad', {
        errors: [{ line: 2, message: 'x' }],
      });
    });
    await renderInTestApp(<BulkSchedulingPage />, {
      apis: [[voiceRecordingApiRef, { importBulk }]],
    });
    chooseFile(CSV);
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));
    await screen.findByTestId('bulk-error-table');
    expect(screen.getByTestId('error-alert')).toBeInTheDocument();

    chooseFile(CSV, 'fixed.csv');
    expect(screen.queryByTestId('bulk-error-table')).toBeNull();
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it("keeps a failed download's message next to the download buttons, apart from the upload", async () => {
    const exportBulk = jest.fn(async () => {
      throw await responseError(
        503,
        'ServiceUnavailableError',
        'database down',
      );
    });
    const importBulk = jest.fn(async () => ({
      applied: 1,
      unchanged: 0,
      dryRun: false,
    }));
    await renderInTestApp(<BulkSchedulingPage />, {
      apis: [[voiceRecordingApiRef, { exportBulk, importBulk }]],
    });
    fireEvent.click(
      screen.getByRole('button', { name: 'Export current configuration' }),
    );
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'Download failed: database down',
    );
    // A later successful download clears it.
    (URL as unknown as { createObjectURL: () => string }).createObjectURL =
      () => 'blob:x';
    (URL as unknown as { revokeObjectURL: () => void }).revokeObjectURL =
      () => {};
    jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => {});
    exportBulk.mockResolvedValueOnce({
      blob: new Blob(['x']),
      fileName: 'x.csv',
    } as never);
    fireEvent.click(
      screen.getByRole('button', { name: 'Export current configuration' }),
    );
    await waitFor(() => expect(screen.queryByTestId('error-alert')).toBeNull());
  });

  it('shows a success summary and clears old errors after a good upload', async () => {
    const importBulk = jest
      .fn()
      .mockRejectedValueOnce(
        await responseError(400, 'InputError', 'bad', {
          errors: [{ line: 2, message: 'x' }],
        }),
      )
      .mockResolvedValueOnce({ applied: 3, unchanged: 1, dryRun: false });
    await renderInTestApp(<BulkSchedulingPage />, {
      apis: [[voiceRecordingApiRef, { importBulk }]],
    });
    chooseFile(CSV);
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));
    await screen.findByTestId('bulk-error-table');

    chooseFile(CSV, 'fixed.csv');
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));
    const summary = await screen.findByTestId('bulk-import-summary');
    expect(summary).toHaveTextContent(
      'Imported from fixed.csv: 3 number(s) updated, 1 unchanged.',
    );
    await waitFor(() =>
      expect(screen.queryByTestId('bulk-error-table')).toBeNull(),
    );
  });
});
