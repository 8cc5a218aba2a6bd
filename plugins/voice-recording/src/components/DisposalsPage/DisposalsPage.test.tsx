import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type { UpcomingDisposal } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { rootRouteRef } from '../../routes';
import { DisposalsPage } from './DisposalsPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any;

const due = (extra: Partial<UpcomingDisposal>): UpcomingDisposal => ({
  conversationId: 'c1',
  number: '+32470000001',
  userRef: 'user:default/bob',
  startedAt: '2019-01-05T09:00:00.000Z',
  retentionUntil: '2024-01-05T09:00:00.000Z',
  policyName: 'MiFID II',
  legalHold: false,
  ...extra,
});

const items = [
  due({}),
  due({
    conversationId: 'c2',
    userRef: 'user:default/carol',
    number: '+32470000002',
    legalHold: true,
    policyName: undefined,
  }),
  due({
    conversationId: 'c3',
    disposalState: 'delete-failed',
    disposalError: 'file deletion failed (attempt 1): EACCES',
  }),
  due({
    conversationId: 'c4',
    disposalState: 'locked',
    disposalError:
      'locked in object storage until 2031-01-05T09:00:00.000Z (S3 Object Lock COMPLIANCE retention of 2019/01/05/c4.ogg); disposal is tried again after that date (attempt 1)',
  }),
];

function setup(api: Record<string, jest.Mock> = {}) {
  const mock = {
    listUpcomingDisposals: jest.fn(async () => ({
      until: '2027-01-05T00:00:00.000Z',
      items,
      total: 4,
      held: 1,
    })),
    listDisposals: jest.fn(async () => ({
      total: 1,
      items: [
        {
          conversationId: 'c0',
          number: '+32470000003',
          userRef: 'user:default/dave',
          participants: ['+32470000003', '+3225550000'],
          startedAt: '2018-01-05T09:00:00.000Z',
          sha256: 'ab'.repeat(32),
          policyName: 'MiFID II',
          retentionUntil: '2023-01-05T09:00:00.000Z',
          disposedAt: '2026-12-06T03:00:00.000Z',
          jobRunId: 'r1',
        },
      ],
    })),
    listDisposalRuns: jest.fn(async () => ({
      total: 1,
      items: [
        {
          id: 'r1',
          trigger: 'manual',
          requestedBy: 'user:default/alice',
          startedAt: '2026-12-06T03:00:00.000Z',
          state: 'done',
          disposed: 1,
          held: 1,
          failed: 0,
        },
      ],
    })),
    disposalDryRun: jest.fn(async () => ({
      at: '2026-12-06T09:00:00.000Z',
      total: 3,
      held: 1,
      // a locked one is due only when its lock ends
      items: items.slice(0, 3),
    })),
    runDisposal: jest.fn(async () => ({
      runId: 'r2',
      state: 'done',
      disposed: 1,
      held: 1,
      failed: 1,
      locked: 1,
    })),
    exportDisposalsCsv: jest.fn(async () => ({
      blob: new Blob(['conversationId\n']),
      fileName: 'voice-recording-disposals.csv',
    })),
    ...api,
  };
  renderInTestApp(<DisposalsPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, mock as any],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
  });
  return mock;
}

describe('DisposalsPage', () => {
  it('lists the next 30 days with people by name, held ones kept and failures explained', async () => {
    const api = setup();
    expect(await screen.findByTestId('upcoming-summary')).toHaveTextContent(
      '4 conversations due by',
    );
    expect(api.listUpcomingDisposals).toHaveBeenCalledWith({
      days: 30,
      limit: 200,
    });
    const table = screen.getByTestId('upcoming-table');
    const rows = within(table).getAllByRole('row').slice(1);
    await waitFor(() => expect(rows[0]).toHaveTextContent('Bob Peeters'));
    expect(rows[0]).toHaveTextContent('MiFID II');
    expect(rows[0]).toHaveTextContent('Due now');
    expect(rows[1]).toHaveTextContent('Carol Dubois');
    expect(rows[1]).toHaveTextContent('Legal hold: kept');
    expect(rows[1]).toHaveTextContent('Regulatory minimum');
    expect(rows[2]).toHaveTextContent(
      'Deletion failed, retried next run: file deletion failed (attempt 1): EACCES',
    );
    expect(rows[3]).toHaveTextContent(
      'Locked in object storage: locked in object storage until 2031-01-05T09:00:00.000Z (S3 Object Lock COMPLIANCE retention of 2019/01/05/c4.ogg)',
    );
    expect(table).not.toHaveTextContent('user:default/');

    const log = screen.getByTestId('disposal-log');
    await waitFor(() => expect(log).toHaveTextContent('Dave Janssens'));
    expect(log).toHaveTextContent('+32470000003');
    expect(log).toHaveTextContent('abababababab');
  });

  it('dry-runs, runs after confirmation, and downloads the log as CSV', async () => {
    (URL as any).createObjectURL = jest.fn(() => 'blob:csv');
    (URL as any).revokeObjectURL = jest.fn();
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function checkName(this: HTMLAnchorElement) {
        expect(this.download).toBe('voice-recording-disposals.csv');
      });
    const api = setup();
    await userEvent.click(
      await screen.findByRole('button', { name: 'Dry run' }),
    );
    expect(await screen.findByTestId('dry-run-result')).toHaveTextContent(
      'a run now would dispose of 2 conversations; 1 under legal hold would stay',
    );
    expect(api.runDisposal).not.toHaveBeenCalled();

    await userEvent.click(
      screen.getByRole('button', { name: 'Dispose of due conversations now' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('a disposal record of each is kept');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Dispose of them' }),
    );
    await waitFor(() => expect(api.runDisposal).toHaveBeenCalledTimes(1));
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Disposal run finished: 1 conversation disposed of, 1 held, 1 failed, 1 locked in object storage (kept until their lock\'s date)',
    );
    await waitFor(() =>
      expect(api.listUpcomingDisposals).toHaveBeenCalledTimes(2),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    expect(api.exportDisposalsCsv).toHaveBeenCalledWith({});
    expect(URL.createObjectURL).toHaveBeenCalledWith(expect.any(Blob));
    click.mockRestore();
  });
});
