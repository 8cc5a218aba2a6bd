import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import type { RetentionPolicyView } from '../../api/retention';
import { responseError } from '../../testUtils/fixtures';
import {
  catalogApis,
  catalogRoutes,
  CATALOG_PEOPLE,
  CATALOG_TRADING_GROUP,
} from '../../testUtils/catalog';
import { rootRouteRef } from '../../routes';
import { RetentionPage } from './RetentionPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any;
const TRADING = CATALOG_TRADING_GROUP;

const policy = (
  extra: Partial<RetentionPolicyView> = {},
): RetentionPolicyView => ({
  id: 'p1',
  name: 'Traders',
  period: 'P10Y',
  scope: { kind: 'groups', groupRefs: ['group:default/trading'] },
  source: 'portal',
  createdAt: '2026-12-06T08:00:00.000Z',
  updatedAt: '2026-12-06T08:00:00.000Z',
  createdBy: 'user:default/alice',
  updatedBy: 'user:default/alice',
  conversationCount: 12,
  belowMinimum: false,
  ...extra,
});

function setup(api: Record<string, jest.Mock> = {}) {
  const mock = {
    listRetentionPolicies: jest.fn(async () => ({
      minimumPeriod: 'P5Y',
      minimumCount: 3,
      policies: [
        policy(),
        policy({
          id: 'p2',
          name: 'MiFID II',
          period: 'P5Y',
          scope: { kind: 'default' },
          source: 'config',
          conversationCount: 40,
        }),
        policy({
          id: 'p3',
          name: 'Bob line',
          period: 'P7Y',
          scope: { kind: 'numbers', numberIds: ['n1'] },
          conversationCount: 2,
        }),
      ],
    })),
    listNumbers: jest.fn(async () => ({
      items: [
        { id: 'n1', number: '+32470000001', userRef: 'user:default/bob' },
        { id: 'n2', number: '+32470000002', userRef: 'user:default/carol' },
      ],
      total: 2,
    })),
    createRetentionPolicy: jest.fn(async (b: any) => ({ id: 'p9', ...b })),
    updateRetentionPolicy: jest.fn(async (_id: string, b: any) => b),
    deleteRetentionPolicy: jest.fn(async () => undefined),
    ...api,
  };
  renderInTestApp(<RetentionPage />, {
    apis: [
      ...catalogApis([...CATALOG_PEOPLE, TRADING]),
      [voiceRecordingApiRef, mock as any],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
  });
  return mock;
}

describe('RetentionPage', () => {
  it('lists the minimum and the policies with people, groups and numbers by name; configured ones read-only', async () => {
    setup();
    expect(await screen.findByTestId('retention-minimum')).toHaveTextContent(
      'Regulatory minimum: 5 years (P5Y), 3 conversations kept for it',
    );
    const traders = screen.getByTestId('policy-row-p1');
    expect(traders).toHaveTextContent('10 years (P10Y)');
    await waitFor(() => expect(traders).toHaveTextContent('Trading desk'));
    expect(traders).not.toHaveTextContent('group:default/trading');
    expect(traders).toHaveTextContent('12');
    const line = screen.getByTestId('policy-row-p3');
    await waitFor(() =>
      expect(line).toHaveTextContent('+32470000001 (Bob Peeters)'),
    );
    const config = screen.getByTestId('policy-row-p2');
    expect(config).toHaveTextContent('Configuration (read-only)');
    expect(config).toHaveTextContent('Every conversation');
    expect(within(config).queryByRole('button', { name: /Edit/ })).toBeNull();
    expect(
      within(traders).getByRole('button', { name: 'Edit Traders' }),
    ).toBeEnabled();
  });

  it('creates a policy for recorded numbers picked by number and name', async () => {
    const api = setup();
    await userEvent.click(
      await screen.findByRole('button', { name: 'New policy' }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: /Name/ }),
      'CFTC desk',
    );
    await userEvent.click(screen.getByRole('button', { name: /Applies to/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Recorded numbers' }),
    );
    const carol = await screen.findByRole('checkbox', {
      name: /\+32470000002 — Carol Dubois/,
    });
    await userEvent.click(carol);
    await userEvent.click(
      screen.getByRole('button', { name: 'Create policy' }),
    );
    await waitFor(() =>
      expect(api.createRetentionPolicy).toHaveBeenCalledWith({
        name: 'CFTC desk',
        period: 'P7Y',
        scope: { kind: 'numbers', numberIds: ['n2'] },
      }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Policy CFTC desk saved',
    );
  });

  it('checks the fields first, and keeps the backend refusal in the dialog', async () => {
    const api = setup({
      createRetentionPolicy: jest.fn(async () => {
        throw await responseError(
          409,
          'ConflictError',
          'name: a retention policy "Traders" exists already',
        );
      }),
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'New policy' }),
    );
    await userEvent.click(screen.getByRole('button', { name: /Applies to/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Members of catalog groups' }),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Create policy' }),
    );
    expect(await screen.findByText('A name is required')).toBeInTheDocument();
    expect(screen.getByText('Choose at least one group')).toBeInTheDocument();
    expect(api.createRetentionPolicy).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: /Applies to/ }));
    await userEvent.click(
      await screen.findByRole('option', {
        name: 'Every conversation (default)',
      }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: /Name/ }),
      'Traders',
    );
    await userEvent.click(screen.getByRole('button', { name: /Period/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Other period…' }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: /Other period/ }),
      '1 year',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Create policy' }),
    );
    expect(
      await screen.findByText(/Period: "1 YEAR" is not an ISO 8601 period/),
    ).toBeInTheDocument();
    await userEvent.clear(
      screen.getByRole('textbox', { name: /Other period/ }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: /Other period/ }),
      'P1Y',
    );
    expect(screen.getByTestId('below-minimum')).toHaveTextContent(
      'still kept 5 years',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Create policy' }),
    );
    expect(await screen.findByText(/exists already/)).toBeInTheDocument();
    expect(api.createRetentionPolicy).toHaveBeenCalledWith({
      name: 'Traders',
      period: 'P1Y',
      scope: { kind: 'default' },
    });
  });

  it('deletes a policy after confirmation', async () => {
    const api = setup();
    const row = await screen.findByTestId('policy-row-p1');
    await userEvent.click(
      within(row).getByRole('button', { name: 'Delete Traders' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'Its 12 conversations get the retention of the next applicable policy',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete policy' }),
    );
    await waitFor(() =>
      expect(api.deleteRetentionPolicy).toHaveBeenCalledWith('p1'),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Policy Traders deleted',
    );
  });
});
