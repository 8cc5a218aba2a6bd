import { fireEvent, screen, waitFor } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import {
  AuditPage,
  EMPTY_AUDIT_FILTERS,
  auditFiltersToQuery,
} from './AuditPage';

beforeEach(() => {
  (URL as any).createObjectURL = jest.fn(() => 'blob:csv');
  (URL as any).revokeObjectURL = jest.fn();
});
afterEach(() => jest.restoreAllMocks());

describe('auditFiltersToQuery', () => {
  it('keeps filled filters and converts local times to ISO instants', () => {
    expect(
      auditFiltersToQuery({
        ...EMPTY_AUDIT_FILTERS,
        actor: ' user:default/alice ',
        action: 'conversation-download',
        to: '2026-11-25T18:00',
      }),
    ).toEqual({
      actor: 'user:default/alice',
      action: 'conversation-download',
      to: new Date(2026, 10, 25, 18, 0).toISOString(),
    });
    expect(auditFiltersToQuery(EMPTY_AUDIT_FILTERS)).toEqual({});
    expect(() =>
      auditFiltersToQuery({
        ...EMPTY_AUDIT_FILTERS,
        from: '2026-11-26T00:00',
        to: '2026-11-25T00:00',
      }),
    ).toThrow('From: must be before To');
  });
});

describe('AuditPage', () => {
  it('sends the filters, pages by offset and exports the same filters as CSV', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      id: String(i),
      at: '2026-11-25T10:00:00Z',
      actorRef: 'user:default/alice',
      action: 'conversation-view',
      targetType: 'conversation',
      targetId: 'c1',
    }));
    const listAudit = jest.fn(async () => ({ items, total: 120 }));
    const exportAuditCsv = jest.fn(async () => ({
      blob: new Blob(['at,actor\n']),
      fileName: 'audit.csv',
    }));
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => undefined);
    renderInTestApp(<AuditPage />, {
      apis: [[voiceRecordingApiRef, { listAudit, exportAuditCsv }]],
    });

    expect(
      await screen.findByTestId('audit-row-0', {}, { timeout: 5000 }),
    ).toHaveTextContent('conversation c1');
    expect(listAudit).toHaveBeenCalledWith({ limit: 50, offset: 0 });

    fireEvent.change(screen.getByLabelText('User'), {
      target: { value: 'user:default/bob' },
    });
    fireEvent.change(screen.getByLabelText('Conversation / target'), {
      target: { value: 'c1' },
    });
    fireEvent.change(screen.getByLabelText('Action'), {
      target: { value: 'conversation-playback' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() =>
      expect(listAudit).toHaveBeenLastCalledWith({
        actor: 'user:default/bob',
        target: 'c1',
        action: 'conversation-playback',
        limit: 50,
        offset: 0,
      }),
    );

    fireEvent.click(await screen.findByRole('button', { name: /next page/i }));
    await waitFor(() =>
      expect(listAudit).toHaveBeenLastCalledWith(
        expect.objectContaining({ actor: 'user:default/bob', offset: 50 }),
      ),
    );

    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(exportAuditCsv).toHaveBeenCalledWith({
      actor: 'user:default/bob',
      target: 'c1',
      action: 'conversation-playback',
    });
  });
});
