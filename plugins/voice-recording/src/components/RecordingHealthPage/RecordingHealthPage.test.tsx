import {
  configure,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeNumber } from '../../testUtils/fixtures';
import {
  CATALOG_PEOPLE,
  catalogApis,
  catalogRoutes,
  CATALOG_TRADING_GROUP,
} from '../../testUtils/catalog';
import {
  SILENT_SUMMARY,
  alarm,
  coverage,
  figures,
  silentNumber,
  summary,
} from '../../testUtils/health';
import { VoiceRecordingPage } from '../VoiceRecordingPage/VoiceRecordingPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

// an admin (usePermission caches decisions across the tests of a file: the standard
// user is in RecordingHealthPage.user.test.tsx)
const ALLOW = 'ALLOW' as any;

const TRADING = CATALOG_TRADING_GROUP;

function setup(path: string, overrides: Record<string, jest.Mock> = {}) {
  const api = {
    listNumbers: jest.fn(async () => ({ items: [makeNumber()], total: 1 })),
    getHealthSummary: jest.fn(async (_period?: object) => summary()),
    listNumberCoverage: jest.fn(async () => ({
      items: [silentNumber, coverage()],
      totalCount: 60,
      from: '2026-11-29',
      to: '2026-12-05',
    })),
    listRecordingAlarms: jest.fn(async () => ({ items: [], totalCount: 0 })),
    getArchiveQueueSummary: jest.fn(async () => ({
      kinds: [],
      at: '2026-12-05T10:00:00.000Z',
    })),
    listArchiveJobs: jest.fn(async () => ({ items: [] })),
    getNumberCoverage: jest.fn(async () => ({
      coverage: silentNumber,
      days: [
        {
          ...figures({ recordedCalls: 3, failedQualityCalls: 1 }),
          day: '2026-12-04',
        },
        {
          ...figures({ recordedCalls: 0, recordedSeconds: 0 }),
          day: '2026-12-05',
        },
      ],
      alarms: [
        alarm(),
        alarm({
          id: 'a0',
          kind: 'failed-quality',
          state: 'resolved',
          severity: 'warning',
          summary:
            '3 of the last 5 calls failed the quality check (threshold 3)',
          raisedAt: '2026-12-01T09:00:00.000Z',
          lastRaisedAt: '2026-12-01T09:00:00.000Z',
          resolvedAt: '2026-12-02T08:00:00.000Z',
        }),
      ],
    })),
    acknowledgeRecordingAlarm: jest.fn(async (id: string, comment: string) =>
      alarm({
        id,
        state: 'acknowledged',
        acknowledgedAt: '2026-12-05T10:00:00.000Z',
        acknowledgedBy: 'user:default/alice',
        acknowledgeComment: comment,
      }),
    ),
    downloadAssuranceReport: jest.fn(async (day: string, format: string) => ({
      blob: new Blob(['report']),
      fileName: `recording-assurance-${day}.${format}`,
    })),
    ...overrides,
  };
  renderInTestApp(<VoiceRecordingPage />, {
    apis: [
      ...catalogApis([...CATALOG_PEOPLE, TRADING]),
      [voiceRecordingApiRef, api],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/*',
    initialRouteEntries: [path],
  });
  return api;
}

describe('Recording health (admin)', () => {
  it('is a tab with the overall and per-group figures and the numbers needing attention first', async () => {
    const api = setup('/voice-recording/health');
    const tab = await screen.findByRole('tab', { name: 'Recording health' });
    expect(tab).toHaveAttribute('href', '/voice-recording/health');
    expect(tab).toHaveAttribute('aria-selected', 'true');

    expect(await screen.findByTestId('figure-attention')).toHaveTextContent(
      'Numbers needing attention2 of 12',
    );
    expect(screen.getByTestId('figure-alarms')).toHaveTextContent('3');
    expect(screen.getByTestId('figure-expected')).toHaveTextContent('70.0 h');
    expect(screen.getByTestId('figure-recorded')).toHaveTextContent(
      'Recorded calls1205.0 h',
    );
    expect(screen.getByTestId('figure-refused')).toHaveTextContent(
      'Refused calls3no-capacity: 2, private: 1',
    );
    expect(screen.getByTestId('figure-failed-quality')).toHaveTextContent(
      'Failed quality49 with warnings',
    );
    expect(screen.getByTestId('health-period')).toHaveTextContent(
      '29 Nov 2026 – 5 Dec 2026',
    );
    const trading = screen.getByTestId('group-row-group:default/trading');
    expect(trading).toHaveTextContent('Trading desk');
    expect(trading).toHaveTextContent('no-capacity: 2');

    // the backend's order: the silent number first, its alarm's sentence, its owner's name
    const rows = within(screen.getByTestId('coverage-table')).getAllByRole(
      'row',
    );
    expect(rows[1]).toHaveAttribute('data-testid', 'coverage-row-+32470999999');
    expect(rows[1]).toHaveTextContent(SILENT_SUMMARY);
    expect(rows[1]).toHaveTextContent('Carol Dubois');
    expect(within(rows[1]).getByTestId('attention-badge')).toHaveTextContent(
      'Failed',
    );
    expect(within(rows[2]).getByTestId('attention-badge')).toHaveTextContent(
      'OK',
    );
    expect(
      within(rows[1]).getByRole('link', { name: '+32470999999' }),
    ).toHaveAttribute('href', '/voice-recording/health/numbers/n-silent');
    expect(api.getHealthSummary).toHaveBeenCalledWith({
      from: undefined,
      to: undefined,
    });
    expect(api.listNumberCoverage).toHaveBeenCalledWith({
      from: undefined,
      to: undefined,
      group: undefined,
      attention: undefined,
      q: undefined,
      limit: 25,
      offset: 0,
    });
    // no recorder alarm: no Recorders section
    expect(screen.queryByRole('heading', { name: 'Recorders' })).toBeNull();
  });

  it('filters by group, attention and search, pages, and changes the period (all in the URL)', async () => {
    const api = setup(
      '/voice-recording/health?from=2026-11-01&to=2026-11-30&attention=needed',
    );
    await screen.findByTestId('coverage-table');
    expect(api.listNumberCoverage).toHaveBeenLastCalledWith(
      expect.objectContaining({
        from: '2026-11-01',
        to: '2026-11-30',
        attention: 'needed',
      }),
    );
    expect(
      screen.getByRole('button', { name: /Attention$/ }),
    ).toHaveTextContent('Needs attention (warning or failed)');
    // a period that is no preset shows its days
    expect(screen.getByLabelText('From')).toHaveValue('2026-11-01');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Group$/ }));
    await user.click(await screen.findByRole('option', { name: 'trading' }));
    await waitFor(() =>
      expect(api.listNumberCoverage).toHaveBeenLastCalledWith(
        expect.objectContaining({
          group: 'group:default/trading',
          attention: 'needed',
          offset: 0,
        }),
      ),
    );
    fireEvent.change(screen.getByRole('textbox', { name: 'Number or owner' }), {
      target: { value: 'carol' },
    });
    await waitFor(() =>
      expect(api.listNumberCoverage).toHaveBeenLastCalledWith(
        expect.objectContaining({ q: 'carol' }),
      ),
    );
    await user.click(screen.getByRole('button', { name: 'Next table page' }));
    await waitFor(() =>
      expect(api.listNumberCoverage).toHaveBeenLastCalledWith(
        expect.objectContaining({ q: 'carol', offset: 25, limit: 25 }),
      ),
    );
    // the number's link keeps the period
    expect(
      within(screen.getByTestId('coverage-row-+32470999999')).getByRole(
        'link',
        { name: '+32470999999' },
      ),
    ).toHaveAttribute(
      'href',
      '/voice-recording/health/numbers/n-silent?from=2026-11-01&to=2026-11-30',
    );

    // chosen days: a reversed range is refused under To
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2026-10-01' },
    });
    expect(screen.getByText('To: must not be before From')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Show' })).toBeDisabled();
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2026-11-15' },
    });
    await user.click(screen.getByRole('button', { name: 'Show' }));
    await waitFor(() =>
      expect(api.getHealthSummary).toHaveBeenLastCalledWith({
        from: '2026-11-01',
        to: '2026-11-15',
      }),
    );
    // a preset: the last 30 days, today included
    await user.click(screen.getByRole('button', { name: /Period$/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Last 30 days' }),
    );
    await waitFor(() => {
      const last = api.getHealthSummary.mock.calls.at(-1)![0] as any;
      const days =
        (Date.parse(last.to) - Date.parse(last.from)) / (24 * 3600 * 1000);
      expect(Math.round(days)).toBe(29);
    });
  });

  it('downloads the assurance report of a chosen day as CSV and HTML', async () => {
    (URL as any).createObjectURL = jest.fn(() => 'blob:report');
    (URL as any).revokeObjectURL = jest.fn();
    const api = setup('/voice-recording/health');
    await screen.findByTestId('coverage-table');
    const day = screen.getByLabelText('Report day');
    fireEvent.change(day, { target: { value: '2026-12-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    await waitFor(() =>
      expect(api.downloadAssuranceReport).toHaveBeenCalledWith(
        '2026-12-01',
        'csv',
      ),
    );
    const html = screen.getByRole('button', {
      name: 'Download HTML (print to PDF)',
    });
    await waitFor(() => expect(html).toBeEnabled());
    fireEvent.click(html);
    await waitFor(() =>
      expect(api.downloadAssuranceReport).toHaveBeenLastCalledWith(
        '2026-12-01',
        'html',
      ),
    );
    // a day in the future has no report yet
    fireEvent.change(day, { target: { value: '2999-01-01' } });
    expect(screen.getByRole('button', { name: 'Download CSV' })).toBeDisabled();
    expect(
      screen.getByText('Report day: must not be after today'),
    ).toBeInTheDocument();
  });

  it('shows the recorders’ unresolved alarms when there are any', async () => {
    const api = setup('/voice-recording/health', {
      listRecordingAlarms: jest.fn(async () => ({
        items: [
          alarm({
            id: 'r1',
            kind: 'idle-recorder',
            numberId: undefined,
            number: undefined,
            ownerRef: undefined,
            recorderInstance: 'recorder-b',
            severity: 'warning',
            summary:
              'No call for 45 minutes while its peers took 120 (threshold 30 minutes)',
          }),
        ],
        totalCount: 1,
      })),
    });
    const table = await screen.findByRole('table', {
      name: 'Recorder alarms',
    });
    expect(table).toHaveTextContent('recorder-b');
    expect(table).toHaveTextContent('Idle recorder');
    expect(table).toHaveTextContent('No call for 45 minutes');
    expect(api.listRecordingAlarms).toHaveBeenCalledWith({
      kind: 'idle-recorder',
      state: ['open', 'acknowledged'],
    });
  });

  it('the number view: figures, days linking to their calls, alarms, and acknowledging with a required comment', async () => {
    const api = setup(
      '/voice-recording/health/numbers/n-silent?from=2026-12-04&to=2026-12-05',
    );
    expect(await screen.findByTestId('health-number-title')).toHaveTextContent(
      '+32470999999',
    );
    expect(api.getNumberCoverage).toHaveBeenCalledWith('n-silent', {
      from: '2026-12-04',
      to: '2026-12-05',
    });
    expect(
      screen.getByRole('tab', { name: 'Recording health' }),
    ).toHaveAttribute('aria-selected', 'true');
    expect(
      screen.getByRole('link', { name: '← Recording health' }),
    ).toHaveAttribute(
      'href',
      '/voice-recording/health?from=2026-12-04&to=2026-12-05',
    );
    expect(screen.getByText('Carol Dubois')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Settings and schedule' }),
    ).toHaveAttribute('href', '/voice-recording/numbers/n-silent');

    // the calls of the period, of one day, of one day's failed quality
    const callsOf = (href: string) => {
      const url = new URL(href, 'http://x');
      expect(url.pathname).toBe('/voice-recording/conversations');
      return Object.fromEntries(url.searchParams);
    };
    const dayStart = (day: string) => new Date(`${day}T00:00:00`).toISOString();
    expect(
      callsOf(screen.getByTestId('period-calls-link').getAttribute('href')!),
    ).toEqual({
      number: '+32470999999',
      from: dayStart('2026-12-04'),
      to: dayStart('2026-12-06'),
    });
    const day = screen.getByTestId('day-row-2026-12-04');
    expect(
      callsOf(
        within(day)
          .getByRole('link', { name: '3 recorded calls on 4 Dec 2026' })
          .getAttribute('href')!,
      ),
    ).toEqual({
      number: '+32470999999',
      from: dayStart('2026-12-04'),
      to: dayStart('2026-12-05'),
    });
    expect(
      callsOf(
        within(day)
          .getByRole('link', {
            name: '1 calls that failed quality on 4 Dec 2026',
          })
          .getAttribute('href')!,
      ),
    ).toEqual({
      number: '+32470999999',
      from: dayStart('2026-12-04'),
      to: dayStart('2026-12-05'),
      quality: 'failed',
    });
    // newest day first
    const dayRows = within(screen.getByTestId('days-table')).getAllByRole(
      'row',
    );
    expect(dayRows[1]).toHaveAttribute('data-testid', 'day-row-2026-12-05');

    // the alarms: the open one can be acknowledged, the resolved one says when
    expect(screen.getByTestId('alarm-row-a0')).toHaveTextContent('Resolved');
    expect(
      within(screen.getByTestId('alarm-row-a0')).queryByRole('button'),
    ).toBeNull();
    const user = userEvent.setup();
    await user.click(
      within(screen.getByTestId('alarm-row-a1')).getByRole('button', {
        name: /^Acknowledge/,
      }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('acknowledge-summary')).toHaveTextContent(
      `+32470999999: ${SILENT_SUMMARY}`,
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Acknowledge' }),
    );
    expect(
      within(dialog).getByText('A comment is required to acknowledge an alarm'),
    ).toBeInTheDocument();
    expect(api.acknowledgeRecordingAlarm).not.toHaveBeenCalled();

    await user.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Operator ticket 4711: forking not enabled on the new SIM',
    );
    // the page reloads the number: now the alarm is acknowledged, by Alice
    api.getNumberCoverage.mockImplementation(async () => ({
      coverage: { ...silentNumber, openAlarms: [] },
      days: [],
      alarms: [
        alarm({
          state: 'acknowledged',
          acknowledgedAt: '2026-12-05T10:00:00.000Z',
          acknowledgedBy: 'user:default/alice',
          acknowledgeComment:
            'Operator ticket 4711: forking not enabled on the new SIM',
        }),
      ],
    }));
    await user.click(
      within(dialog).getByRole('button', { name: 'Acknowledge' }),
    );
    expect(api.acknowledgeRecordingAlarm).toHaveBeenCalledWith(
      'a1',
      'Operator ticket 4711: forking not enabled on the new SIM',
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      `Alarm acknowledged: ${SILENT_SUMMARY}`,
    );
    const acknowledged = await screen.findByTestId('alarm-acknowledged-a1');
    expect(acknowledged).toHaveTextContent('Acknowledged by Alice Martin on');
    expect(acknowledged).toHaveTextContent(
      '“Operator ticket 4711: forking not enabled on the new SIM”',
    );
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(
      within(screen.getByTestId('alarm-row-a1')).queryByRole('button', {
        name: /^Acknowledge/,
      }),
    ).toBeNull();
  });

  it('keeps the dialog open with the backend’s error when acknowledging fails', async () => {
    const { responseError } = jest.requireActual('../../testUtils/fixtures');
    const error = await responseError(
      409,
      'ConflictError',
      'Alarm a1 is resolved: there is nothing to acknowledge',
    );
    setup('/voice-recording/health/numbers/n-silent', {
      acknowledgeRecordingAlarm: jest.fn(async () => {
        throw error;
      }),
    });
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: /^Acknowledge the alarm/ }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Looking into it',
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Acknowledge' }),
    );
    expect(await within(dialog).findByTestId('error-alert')).toHaveTextContent(
      'Could not acknowledge: Alarm a1 is resolved: there is nothing to acknowledge',
    );
  });
});
