import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type { ExportJob } from '@mvr/plugin-voice-recording-common';
import { DateTime } from 'luxon';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeCase } from '../../testUtils/cases';
import { makeConversationSummary } from '../../testUtils/conversations';
import { rootRouteRef } from '../../routes';
import { ConversationsPage } from '../ConversationsPage/ConversationsPage';
import { ExportsPage, formatBytes, searchScopeFilters } from './ExportsPage';

configure({ asyncUtilTimeout: 6000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any;
const ALICE = 'user:default/alice';

const job = (extra: Partial<ExportJob> = {}): ExportJob => ({
  id: 'e1',
  scope: { kind: 'case', caseId: 'c1' },
  scopeTitle: 'Case: Client X fraud',
  includeMp3: false,
  state: 'done',
  requestedBy: ALICE,
  requestedAt: '2026-12-06T08:00:00.000Z',
  done: 3,
  total: 3,
  skipped: 0,
  finishedAt: '2026-12-06T08:01:00.000Z',
  expiresAt: '2026-12-13T08:01:00.000Z',
  sha256: 'ab'.repeat(32),
  bytes: 2_400_000,
  ...extra,
});

function setup(api: Record<string, jest.Mock> = {}) {
  const mock = {
    listExports: jest.fn(async () => ({ items: [job()] })),
    listCases: jest.fn(async () => ({ items: [makeCase()] })),
    createExport: jest.fn(async (body: any) =>
      job({ id: 'e2', state: 'queued', done: 0, total: 0, ...body }),
    ),
    getNumberByPhone: jest.fn(async (n: string) => ({ id: 'n1', number: n })),
    downloadExport: jest.fn(async () => ({
      blob: new Blob(['zip']),
      fileName: 'voice-recording-export_2026-12-06_e1e1e1e1.zip',
    })),
    deleteExport: jest.fn(async () => undefined),
    ...api,
  };
  renderInTestApp(<ExportsPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, mock as any],
      mockApis.permission({ authorize: ALLOW }),
      mockApis.identity({ userEntityRef: ALICE }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
  });
  return mock;
}

describe('ExportsPage', () => {
  it('lists exports: scope, requester by name, state, progress, size and hash; downloads a ready one', async () => {
    (URL as any).createObjectURL = jest.fn(() => 'blob:zip');
    (URL as any).revokeObjectURL = jest.fn();
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function saved(this: HTMLAnchorElement) {
        expect(this.download).toBe(
          'voice-recording-export_2026-12-06_e1e1e1e1.zip',
        );
      });
    const api = setup();
    const row = await screen.findByTestId('export-row-e1');
    expect(row).toHaveTextContent('Case: Client X fraud');
    expect(within(row).getByTestId('export-state-e1')).toHaveTextContent(
      'Ready',
    );
    expect(within(row).getByTestId('export-progress-e1')).toHaveTextContent(
      '3 recordings',
    );
    expect(row).toHaveTextContent('2.4 MB');
    expect(row).toHaveTextContent(`SHA-256 ${'ab'.repeat(6)}`);
    await waitFor(() =>
      expect(
        within(row).getByRole('link', { name: 'Alice Martin' }),
      ).toBeVisible(),
    );
    expect(row).not.toHaveTextContent(ALICE);
    await userEvent.click(
      within(row).getByRole('button', {
        name: 'Download Case: Client X fraud',
      }),
    );
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    expect(api.downloadExport).toHaveBeenCalledWith('e1');
    click.mockRestore();
  });

  it('starts a case export with MP3 copies; the case is required', async () => {
    const api = setup({ listExports: jest.fn(async () => ({ items: [] })) });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Start export' }),
    );
    expect(await screen.findByText('Choose the case to export')).toBeVisible();
    expect(api.createExport).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: /Case$/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Client X fraud' }),
    );
    await userEvent.click(
      screen.getByRole('checkbox', { name: 'Include MP3 copies' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Start export' }));
    await waitFor(() =>
      expect(api.createExport).toHaveBeenCalledWith({
        scope: { kind: 'case', caseId: 'c1' },
        includeMp3: true,
      }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Export started: Case: Client X fraud',
    );
    await waitFor(() => expect(api.listExports).toHaveBeenCalledTimes(2));
  });

  it('exports one number for a period: the number resolved to its id, the days as instants', async () => {
    const api = setup({
      getNumberByPhone: jest.fn(async (n: string) => {
        if (n === '+32470999999')
          throw await responseError(404, 'NotFoundError', 'no such number');
        return { id: 'n1', number: n };
      }),
    });
    await userEvent.click(
      await screen.findByRole('button', { name: /Export of/ }),
    );
    await userEvent.click(
      await screen.findByRole('option', { name: 'One number for a period' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Start export' }));
    expect(await screen.findByText('Enter the recorded number')).toBeVisible();
    expect(screen.getByText('Choose the first day')).toBeVisible();
    expect(screen.getByText('Choose the last day')).toBeVisible();

    await userEvent.type(
      screen.getByRole('textbox', { name: /Recorded number/ }),
      '+32470999999',
    );
    await userEvent.type(screen.getByLabelText('First day'), '2026-03-01');
    await userEvent.type(screen.getByLabelText('Last day'), '2026-03-31');
    await userEvent.click(screen.getByRole('button', { name: 'Start export' }));
    expect(
      await screen.findByText('No recorded number +32470999999'),
    ).toBeVisible();
    expect(api.createExport).not.toHaveBeenCalled();

    const field = screen.getByRole('textbox', { name: /Recorded number/ });
    await userEvent.clear(field);
    await userEvent.type(field, '+32470123456');
    await userEvent.click(screen.getByRole('button', { name: 'Start export' }));
    await waitFor(() =>
      expect(api.createExport).toHaveBeenCalledWith({
        scope: {
          kind: 'number',
          numberId: 'n1',
          from: DateTime.fromISO('2026-03-01').toUTC().toISO(),
          to: DateTime.fromISO('2026-04-01').toUTC().toISO(),
        },
        includeMp3: false,
      }),
    );
  });

  it('follows a running export until it is ready, and shows a failed one\u2019s error', async () => {
    let calls = 0;
    const listExports = jest.fn(async () => {
      calls++;
      return {
        items: [
          calls === 1
            ? job({
                state: 'running',
                done: 1,
                total: 3,
                sha256: undefined,
                bytes: undefined,
              })
            : job(),
          job({
            id: 'e3',
            state: 'failed',
            error: 'conversation x: the archive read is not the one recorded',
          }),
        ],
      };
    });
    setup({ listExports });
    expect(await screen.findByTestId('export-progress-e1')).toHaveTextContent(
      '1 of 3 recordings',
    );
    expect(
      screen.getByRole('progressbar', {
        name: 'Progress of Case: Client X fraud',
      }),
    ).toHaveAttribute('value', '1');
    expect(
      screen.getByRole('button', { name: 'Cancel Case: Client X fraud' }),
    ).toBeVisible();
    await waitFor(() =>
      expect(screen.getByTestId('export-state-e1')).toHaveTextContent('Ready'),
    );
    expect(screen.getByTestId('export-row-e3')).toHaveTextContent(
      'the archive read is not the one recorded',
    );
  });

  it('lists everybody\u2019s exports for a compliance manager', async () => {
    const api = setup({
      listExports: jest.fn(async (q?: any) => ({
        items:
          q?.requestedBy === 'all'
            ? [
                job(),
                job({
                  id: 'e5',
                  requestedBy: 'user:default/fiona',
                  scopeTitle: 'Case: Other',
                }),
              ]
            : [job()],
      })),
    });
    await screen.findByTestId('export-row-e1');
    expect(screen.queryByTestId('export-row-e5')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: /Exports of$/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Everybody' }),
    );
    expect(await screen.findByTestId('export-row-e5')).toHaveTextContent(
      'Case: Other',
    );
    expect(api.listExports).toHaveBeenLastCalledWith({ requestedBy: 'all' });
  });

  it('deletes an export', async () => {
    const api = setup();
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Delete Case: Client X fraud',
      }),
    );
    await waitFor(() => expect(api.deleteExport).toHaveBeenCalledWith('e1'));
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Export deleted: Case: Client X fraud',
    );
  });

  it('formats sizes and search filters', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(830_000)).toBe('830 kB');
    expect(formatBytes(undefined)).toBe('—');
    expect(
      searchScopeFilters({
        direction: 'incoming',
        hasDtmf: false,
        minDuration: 10,
        phone: ' ',
        label: undefined,
      }),
    ).toEqual({ direction: 'incoming', hasDtmf: 'false', minDuration: '10' });
  });
});

describe('Export for regulator on the conversations page', () => {
  it('creates a search export with the current filters and links to the exports', async () => {
    const createExport = jest.fn(async (body: any) =>
      job({
        id: 'e9',
        state: 'queued',
        scopeTitle: 'Search: direction=incoming',
        ...body,
      }),
    );
    renderInTestApp(<ConversationsPage />, {
      apis: [
        ...catalogApis(),
        [
          voiceRecordingApiRef,
          {
            listConversations: jest.fn(async () => ({
              items: [makeConversationSummary({ id: 'c1' })],
              total: 1,
            })),
            listLabels: jest.fn(async () => ({ items: [] })),
            listCases: jest.fn(async () => ({ items: [] })),
            exportConversations: jest.fn(),
            createExport,
          },
        ],
        mockApis.permission({ authorize: ALLOW }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/conversations',
      initialRouteEntries: [
        '/voice-recording/conversations?direction=incoming&label=l1',
      ],
    });
    await screen.findByTestId('conversation-row-c1');
    await userEvent.click(
      screen.getByRole('button', { name: 'Export for regulator' }),
    );
    await waitFor(() =>
      expect(createExport).toHaveBeenCalledWith({
        scope: {
          kind: 'search',
          filters: { direction: 'incoming', label: 'l1' },
        },
      }),
    );
    const alert = await screen.findByTestId('success-alert');
    expect(alert).toHaveTextContent(
      'Regulator export started (Search: direction=incoming)',
    );
    expect(
      within(alert).getByRole('link', { name: 'Compliance › Exports' }),
    ).toHaveAttribute('href', '/voice-recording/compliance/exports');
  });
});
