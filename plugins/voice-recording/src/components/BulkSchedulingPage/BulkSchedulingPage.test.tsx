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
        'the file has 2 wrong rows; nothing was applied',
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
    expect(screen.getByRole('alert')).toHaveTextContent(
      'the file has 2 wrong rows; nothing was applied',
    );
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
