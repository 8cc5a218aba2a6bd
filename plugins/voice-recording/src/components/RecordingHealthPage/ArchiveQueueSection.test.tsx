import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import type {
  ArchiveJobView,
  ArchiveQueueSummary,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { ArchiveQueueSection, formatAge } from './ArchiveQueueSection';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

/** An error text from outside (an S3 endpoint's answer): shown as text, never as markup. */
const HOSTILE = '<img src=x onerror="window.hacked=1"> S3: 503 Slow Down';

function deadJob(overrides: Partial<ArchiveJobView> = {}): ArchiveJobView {
  return {
    id: '42',
    kind: 'upload',
    subject: 'recordings/2026/12/05/c1.opus',
    conversationId: 'c-1',
    state: 'dead',
    attempts: 8,
    maxAttempts: 8,
    runAfter: '2026-12-05T09:00:00.000Z',
    lastError: HOSTILE,
    createdAt: '2026-12-05T08:00:00.000Z',
    updatedAt: '2026-12-05T09:30:00.000Z',
    finishedAt: '2026-12-05T09:30:00.000Z',
    ...overrides,
  };
}

const busySummary: ArchiveQueueSummary = {
  at: '2026-12-05T10:00:00.000Z',
  kinds: [
    { kind: 'upload', queued: 12, running: 2, dead: 2, oldestAgeSeconds: 3900 },
    { kind: 'compress', queued: 0, running: 1, dead: 0, oldestAgeSeconds: 45 },
    { kind: 'derive', queued: 0, running: 0, dead: 0, oldestAgeSeconds: 0 },
  ],
};

function setup(
  options: {
    canRetry?: boolean;
    summary?: ArchiveQueueSummary;
    pages?: Array<{ items: ArchiveJobView[]; nextCursor?: string }>;
    retry?: jest.Mock;
  } = {},
) {
  const pages = options.pages ?? [
    {
      items: [
        deadJob(),
        deadJob({
          id: '41',
          kind: 'derive',
          subject: 'c-2/mp3',
          conversationId: undefined,
          lastError: 'archive gone',
        }),
      ],
    },
  ];
  const api = {
    getArchiveQueueSummary: jest.fn(async () => options.summary ?? busySummary),
    listArchiveJobs: jest.fn(async (q: { cursor?: string }) =>
      q.cursor ? pages[1] : pages[0],
    ),
    retryArchiveJob:
      options.retry ??
      jest.fn(async (id: string) => ({
        ...deadJob({ id }),
        state: 'queued' as const,
        attempts: 0,
      })),
  };
  renderInTestApp(<ArchiveQueueSection canRetry={options.canRetry ?? true} />, {
    apis: [[voiceRecordingApiRef, api]],
    mountedRoutes: { '/voice-recording': rootRouteRef },
  });
  return api;
}

describe('formatAge', () => {
  it('reads as people say it', () => {
    expect([0, 45, 600, 3600, 3900, 86400, 93600].map(formatAge)).toEqual([
      '—',
      '45 s',
      '10 min',
      '1 h',
      '1 h 5 min',
      '1 d',
      '1 d 2 h',
    ]);
  });
});

describe('ArchiveQueueSection', () => {
  it('shows per kind the queued, running and dead jobs and the oldest age', async () => {
    const api = setup();
    const upload = await screen.findByTestId('archive-kind-upload');
    expect(
      within(screen.getByRole('region', { name: 'Archive queue' })).getByRole(
        'table',
        { name: 'Archive queue per kind of job' },
      ),
    ).toContainElement(upload);
    expect(
      within(upload)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['Upload to object storage', '12', '2', '2', '1 h 5 min']);
    expect(
      within(screen.getByTestId('archive-kind-compress'))
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['Compression (Opus)', '0', '1', '0', '45 s']);
    expect(screen.getByTestId('archive-kind-derive')).toHaveTextContent('—');
    expect(screen.queryByTestId('archive-queue-empty')).toBeNull();
    expect(api.listArchiveJobs).toHaveBeenCalledWith({
      state: 'dead',
      limit: 20,
    });
  });

  it('lists the dead jobs with their error as text and a link to their conversation', async () => {
    setup();
    const row = await screen.findByTestId('dead-job-42');
    expect(row).toHaveTextContent('Upload to object storage');
    expect(row).toHaveTextContent('recordings/2026/12/05/c1.opus');
    expect(row).toHaveTextContent('8 of 8');
    expect(screen.getByTestId('dead-job-error-42').textContent).toBe(HOSTILE);
    expect(row.querySelector('img')).toBeNull();
    expect((window as any).hacked).toBeUndefined();
    expect(
      within(row).getByRole('link', { name: 'Open conversation' }),
    ).toHaveAttribute('href', '/voice-recording/conversations/c-1');
    // a job of no conversation has no link
    const other = screen.getByTestId('dead-job-41');
    expect(within(other).queryByRole('link')).toBeNull();
    expect(other).toHaveTextContent('Derived files (MP3, waveform)');
  });

  it('retries a dead job after confirmation, then shows the queue again', async () => {
    const api = setup();
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', {
        name: 'Retry the job: Upload to object storage recordings/2026/12/05/c1.opus',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('retry-job-what')).toHaveTextContent(
      'Upload to object storage: recordings/2026/12/05/c1.opus',
    );
    // nothing is sent before the confirmation
    expect(api.retryArchiveJob).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(api.retryArchiveJob).toHaveBeenCalledWith('42'));
    expect(
      await screen.findByText(
        'Queued again: Upload to object storage recordings/2026/12/05/c1.opus (job 42)',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() =>
      expect(api.getArchiveQueueSummary).toHaveBeenCalledTimes(2),
    );
    expect(api.listArchiveJobs).toHaveBeenCalledTimes(2);
  });

  it('keeps a refused retry in the dialog, and Cancel sends nothing', async () => {
    const retry = jest.fn(async () => {
      throw new Error(
        'archive job 42: job 77 of the same kind and subject is already queued or running',
      );
    });
    setup({ retry });
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: /^Retry the job: Derived/ }),
    );
    await user.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Cancel',
      }),
    );
    expect(retry).not.toHaveBeenCalled();
    await user.click(
      screen.getByRole('button', { name: /^Retry the job: Upload/ }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Retry' }));
    expect(
      await within(dialog).findByText(/already queued or running/),
    ).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('has no Retry button for those who may only read', async () => {
    setup({ canRetry: false });
    await screen.findByTestId('dead-job-42');
    expect(screen.queryByRole('button', { name: /^Retry/ })).toBeNull();
  });

  it('pages the dead jobs with Show more', async () => {
    const api = setup({
      pages: [
        { items: [deadJob({ id: '50' })], nextCursor: '50' },
        { items: [deadJob({ id: '49', subject: 'older.opus' })] },
      ],
    });
    await screen.findByTestId('dead-job-50');
    await userEvent.click(
      screen.getByRole('button', { name: 'Show more dead jobs' }),
    );
    expect(await screen.findByTestId('dead-job-49')).toBeInTheDocument();
    expect(screen.getByTestId('dead-job-50')).toBeInTheDocument();
    expect(api.listArchiveJobs).toHaveBeenLastCalledWith({
      state: 'dead',
      limit: 20,
      cursor: '50',
    });
    expect(
      screen.queryByRole('button', { name: 'Show more dead jobs' }),
    ).toBeNull();
  });

  it('says when the queue is empty and there are no dead jobs', async () => {
    setup({
      summary: {
        at: '2026-12-05T10:00:00.000Z',
        kinds: busySummary.kinds.map(k => ({
          ...k,
          queued: 0,
          running: 0,
          dead: 0,
          oldestAgeSeconds: 0,
        })),
      },
      pages: [{ items: [] }],
    });
    expect(await screen.findByTestId('archive-queue-empty')).toHaveTextContent(
      'The queue is empty',
    );
    expect(await screen.findByTestId('dead-jobs-empty')).toHaveTextContent(
      'No dead jobs.',
    );
  });
});
