import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import {
  catalogApiRef,
  entityPresentationApiRef,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuditEntry, voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
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

const person = (name: string, displayName: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName, email: `${name}@acme-bank.example` } },
});
const PEOPLE = [person('alice', 'Alice Martin'), person('bob', 'Bob Peeters')];
const DISPLAY: Record<string, string> = {
  'user:default/alice': 'Alice Martin',
  'user:default/bob': 'Bob Peeters',
};

/** The catalog's presentation of people (what EntityRefLink shows): display names. */
const presentation = {
  forEntity: (ref: string) => {
    const snapshot = { entityRef: ref, primaryTitle: DISPLAY[ref] ?? ref };
    return { snapshot, promise: Promise.resolve(snapshot) };
  },
};

const PLAYBACK: AuditEntry = {
  id: 'p1',
  at: '2026-12-04T23:03:00',
  actorRef: 'user:default/alice',
  action: 'conversation-playback',
  targetType: 'conversation',
  targetId: 'c1',
  details: {
    number: '+32476333444',
    userRef: 'user:default/carol',
    direction: 'incoming',
    otherParty: '+32471234567',
    durationMs: 14_000,
    format: 'ogg',
  },
};
const UPDATE: AuditEntry = {
  id: 'u1',
  at: '2026-12-04T23:05:00',
  actorRef: 'user:default/bob',
  action: 'number-update',
  targetType: 'number',
  targetId: '+32470123456',
  details: {
    id: 'n1',
    before: { settings: { mvrActive: true } },
    change: { settings: { mvrActive: false } },
  },
};

async function renderAudit(apis: Record<string, jest.Mock>) {
  return renderInTestApp(<AuditPage />, {
    apis: [
      [catalogApiRef, catalogApiMock({ entities: PEOPLE })],
      [entityPresentationApiRef, presentation as any],
      [voiceRecordingApiRef, apis],
    ],
    mountedRoutes: {
      '/voice-recording': rootRouteRef,
      '/catalog/:namespace/:kind/:name': entityRouteRef,
    },
  });
}

describe('AuditPage', () => {
  it('shows each entry as a sentence with links, its details as a table (never JSON)', async () => {
    const listAudit = jest.fn(async () => ({
      items: [PLAYBACK, UPDATE],
      total: 2,
    }));
    await renderAudit({ listAudit });

    const row = await screen.findByTestId(
      'audit-row-p1',
      {},
      { timeout: 5000 },
    );
    await waitFor(() =>
      expect(within(row).getByTestId('audit-sentence')).toHaveTextContent(
        'Alice Martin played conversation +32471234567 → +32476333444 (0:14) on 4 Dec 23:03',
      ),
    );
    const alice = within(row).getByRole('link', { name: 'Alice Martin' });
    expect(alice).toHaveAttribute('href', '/catalog/default/user/alice');
    expect(alice.closest('[title]')).toHaveAttribute(
      'title',
      'user:default/alice',
    );
    expect(
      within(row).getByRole('link', {
        name: '+32471234567 → +32476333444 (0:14)',
      }),
    ).toHaveAttribute('href', '/voice-recording/conversations/c1');
    expect(row).not.toHaveTextContent('{');

    // details: collapsed, then a key / value table
    expect(screen.queryByTestId('audit-details-p1')).toBeNull();
    await userEvent.click(
      within(row).getByRole('button', { name: 'Show details' }),
    );
    const details = await screen.findByTestId('audit-details-p1');
    const table = within(details).getByRole('table', { name: 'Details' });
    expect(
      within(table).getByRole('rowheader', { name: 'otherParty' }),
    ).toBeInTheDocument();
    expect(
      within(table).getByRole('row', { name: /durationMs 14000/ }),
    ).toBeInTheDocument();
    expect(details).not.toHaveTextContent('{');
    expect(
      within(row).getByRole('button', { name: 'Hide details' }),
    ).toHaveAttribute('aria-expanded', 'true');

    // a change: field / before / after; the number linked to its page
    const update = screen.getByTestId('audit-row-u1');
    await waitFor(() =>
      expect(update).toHaveTextContent(
        'Bob Peeters changed the settings of number +32470123456',
      ),
    );
    expect(
      within(update).getByRole('link', { name: '+32470123456' }),
    ).toHaveAttribute('href', '/voice-recording/numbers/n1');
    await userEvent.click(
      within(update).getByRole('button', { name: 'Show details' }),
    );
    const changes = within(
      await screen.findByTestId('audit-details-u1'),
    ).getByRole('table', { name: 'Changes' });
    expect(
      within(changes).getByRole('row', { name: 'settings.mvrActive yes no' }),
    ).toBeInTheDocument();
  });

  it('filters by person (picker), target, time and a grouped action list; pages; exports the same filters as CSV', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      ...PLAYBACK,
      id: String(i),
    }));
    const listAudit = jest.fn(async () => ({ items, total: 120 }));
    const exportAuditCsv = jest.fn(async () => ({
      blob: new Blob(['at,actor\n']),
      fileName: 'audit.csv',
    }));
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => undefined);
    await renderAudit({ listAudit, exportAuditCsv });

    expect(
      await screen.findByTestId('audit-row-0', {}, { timeout: 5000 }),
    ).toHaveTextContent('played conversation');
    expect(listAudit).toHaveBeenCalledWith({ limit: 50, offset: 0 });

    // the action list, grouped
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Action$/ }));
    const list = await screen.findByRole('listbox');
    const groupName = (g: HTMLElement) =>
      document.getElementById(g.getAttribute('aria-labelledby') ?? '')
        ?.textContent;
    expect(within(list).getAllByRole('group').map(groupName)).toEqual([
      'Numbers',
      'Schedules',
      'Conversations',
      'Cases',
      'Access',
      'Recording health',
      'System',
      'Audit trail',
    ]);
    const access = within(list)
      .getAllByRole('group')
      .find(g => groupName(g) === 'Access')!;
    expect(
      within(access)
        .getAllByRole('option')
        .map(o => o.getAttribute('data-key')),
    ).toEqual([
      'permission-denied',
      'request-refused',
      'access-request-create',
      'access-request-manager-approve',
      'access-request-approve',
      'access-request-reject',
      'access-request-revoke',
      'access-request-expire',
      'four-eyes-set',
      'four-eyes-clear',
      'four-eyes-ask',
      'four-eyes-confirm',
      'four-eyes-reject',
      'four-eyes-expire',
      'four-eyes-cancel',
    ]);
    const conversations = within(list)
      .getAllByRole('group')
      .find(g => groupName(g) === 'Conversations')!;
    await user.click(
      within(conversations).getByRole('option', { name: 'Played' }),
    );
    expect(screen.getByRole('button', { name: /Action$/ })).toHaveTextContent(
      'Played',
    );

    // the person: picked from the catalog by name
    await userEvent.type(
      screen.getByRole('combobox', { name: 'Person' }),
      'Bob',
    );
    await userEvent.click(
      await screen.findByTestId('person-option-user:default/bob'),
    );
    fireEvent.change(screen.getByRole('textbox', { name: 'Target' }), {
      target: { value: 'c1' },
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

    fireEvent.click(
      await screen.findByRole('button', { name: 'Next table page' }),
    );
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

  it('verifies the trail: intact with the count and head hash, then the first broken link', async () => {
    const head =
      'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12';
    const verifyAuditTrail = jest
      .fn()
      .mockResolvedValueOnce({
        ok: true,
        checked: 1234,
        headHash: head,
        signedHeads: 3,
        lastSignedDay: '2026-12-05',
        unsignedEntries: 7,
        acceptedBreaks: [
          { seq: 4, reason: 'edited', message: 'entry 4 (id 4) was changed' },
        ],
      })
      .mockResolvedValueOnce({
        ok: false,
        checked: 16,
        headHash: head,
        firstBroken: {
          seq: 17,
          reason: 'edited',
          message:
            'entry 17 (id 17) was changed: its content no longer matches its hash',
        },
        signedHeads: 3,
      })
      .mockRejectedValueOnce(new Error('Request failed with 403'));
    const listAudit = jest.fn(async () => ({ items: [PLAYBACK], total: 1 }));
    await renderAudit({ listAudit, verifyAuditTrail });
    await screen.findByTestId('audit-row-p1', {}, { timeout: 5000 });
    expect(screen.queryByTestId('audit-verify-result')).toBeNull();
    expect(verifyAuditTrail).not.toHaveBeenCalled();

    const verify = screen.getByRole('button', { name: 'Verify trail' });
    await userEvent.click(verify);
    const ok = await screen.findByTestId('audit-verify-result');
    expect(ok).toHaveAttribute('role', 'status');
    expect(ok).toHaveTextContent(
      'The audit trail is intact: 1,234 entries verified.',
    );
    expect(ok).toHaveTextContent(
      'Head hash ab12cd34ef56ab12…. Signed daily heads checked: 3, the latest for 2026-12-05 (7 entries since, signed after the day ends). Breaks accepted after investigation: entry 4 (an entry was changed).',
    );
    expect(within(ok).getByTestId('audit-head-hash')).toHaveAttribute(
      'title',
      head,
    );

    await userEvent.click(verify);
    await waitFor(() =>
      expect(screen.getByTestId('audit-verify-result')).toHaveAttribute(
        'role',
        'alert',
      ),
    );
    const broken = screen.getByTestId('audit-verify-result');
    expect(broken).toHaveTextContent(
      'The audit trail is broken at entry 17: an entry was changed.',
    );
    expect(broken).toHaveTextContent(
      'entry 17 (id 17) was changed: its content no longer matches its hash. 16 entries before it verified.',
    );

    await userEvent.click(verify);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Verification failed: Request failed with 403',
    );
    expect(screen.queryByTestId('audit-verify-result')).toBeNull();
    expect(verifyAuditTrail).toHaveBeenCalledTimes(3);
    // the filters' query is not the verification's: the list was loaded once
    expect(listAudit).toHaveBeenCalledTimes(1);
  });
});
