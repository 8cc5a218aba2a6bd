import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeCase, makeLabel, makeLegalHold } from '../../testUtils/cases';
import { rootRouteRef } from '../../routes';
import { CasesPage } from '../CasesPage/CasesPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any;

describe('CasesPage: legal hold', () => {
  it('places a hold from the case row; a held case shows its badge and no second action', async () => {
    let held = false;
    const api = {
      listCases: jest.fn(async () => ({
        items: [makeCase(), makeCase({ id: 'c9', title: 'Other matter' })],
      })),
      listLabels: jest.fn(async () => ({ items: [makeLabel()] })),
      listLegalHolds: jest.fn(async () => ({
        items: [
          makeLegalHold({
            id: 'h0',
            caseId: 'c9',
            caseTitle: 'Other matter',
            labelId: 'l9',
            reason: 'old',
            reference: 'OLD-1',
            state: 'released',
            placedAt: '2026-01-01T00:00:00.000Z',
          }),
          ...(held ? [makeLegalHold()] : []),
        ],
      })),
      placeLegalHold: jest.fn(async (body: any) => {
        held = true;
        return {
          id: 'h1',
          caseTitle: 'Client X fraud',
          conversationCount: 1,
          ...body,
        };
      }),
    };
    renderInTestApp(<CasesPage />, {
      apis: [
        ...catalogApis(),
        [voiceRecordingApiRef, api as any],
        mockApis.permission({ authorize: ALLOW }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    });
    const row = await screen.findByTestId('case-row-c1');
    // a released hold does not count: both cases may be held
    expect(
      await within(screen.getByTestId('case-row-c9')).findByRole('button', {
        name: 'Place legal hold on Other matter',
      }),
    ).toBeVisible();
    await userEvent.click(
      await within(row).findByRole('button', {
        name: 'Place legal hold on Client X fraud',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Place a legal hold on Client X fraud',
    });
    expect(within(dialog).queryByRole('button', { name: /Case/ })).toBeNull();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reference/ }),
      'HC-17',
    );
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'Court order',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Place hold' }),
    );
    await waitFor(() =>
      expect(api.placeLegalHold).toHaveBeenCalledWith({
        caseId: 'c1',
        reference: 'HC-17',
        reason: 'Court order',
      }),
    );
    expect(
      await screen.findByText(
        'Legal hold HC-17 placed on Client X fraud: 1 conversation held',
      ),
    ).toBeVisible();
    expect(
      await within(row).findByTestId('legal-hold-badge'),
    ).toHaveTextContent('Legal hold HC-17');
    expect(
      within(row).queryByRole('button', {
        name: 'Place legal hold on Client X fraud',
      }),
    ).toBeNull();
  });
});
