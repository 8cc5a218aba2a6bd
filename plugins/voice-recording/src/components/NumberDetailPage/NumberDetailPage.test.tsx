import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { makeNumber, responseError } from '../../testUtils/fixtures';
import { NumberDetailPage } from './NumberDetailPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW

function renderPage(api: Record<string, jest.Mock>) {
  return renderInTestApp(<NumberDetailPage />, {
    apis: [
      ...catalogApis(),
      [
        voiceRecordingApiRef,
        { listPlanningModels: jest.fn(async () => ({ items: [] })), ...api },
      ],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountPath: '/voice-recording/numbers/:id',
    mountedRoutes: catalogRoutes,
    initialRouteEntries: ['/voice-recording/numbers/n1'],
  });
}

describe('NumberDetailPage', () => {
  it("shows the backend's refusal when saving settings of an inactive number", async () => {
    const inactive = makeNumber({ mvrActive: false, status: 'inactive' });
    const updateNumber = jest.fn(async () => {
      throw await responseError(
        400,
        'InputError',
        'MVR is not active for +32470123456',
      );
    });
    renderPage({ getNumber: jest.fn(async () => inactive), updateNumber });

    fireEvent.click(await screen.findByRole('checkbox', { name: 'Beep' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'MVR is not active for +32470123456',
    );
    expect(updateNumber).toHaveBeenCalledWith(
      'n1',
      expect.objectContaining({
        mvrActive: false,
        settings: expect.objectContaining({ beep: false }),
      }),
    );
  });

  it('shows a save error in the Settings section; a change clears it, a later success replaces it', async () => {
    const number = makeNumber();
    const updateNumber = jest
      .fn()
      .mockRejectedValueOnce(
        await responseError(400, 'InputError', 'database is read-only'),
      )
      .mockRejectedValueOnce(
        await responseError(400, 'InputError', 'database is read-only'),
      )
      .mockResolvedValueOnce(number);
    renderPage({ getNumber: jest.fn(async () => number), updateNumber });
    const settings = (
      await screen.findByRole('form', {
        name: 'Number settings',
      })
    ).closest('div.MuiPaper-root') as HTMLElement;

    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    // Next to the form that raised it.
    expect(
      await within(settings).findByTestId('error-alert'),
    ).toHaveTextContent('database is read-only');

    // Changing the form makes the message stale.
    fireEvent.click(screen.getByRole('checkbox', { name: 'Beep' }));
    expect(screen.queryByTestId('error-alert')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await within(settings).findByTestId('error-alert');
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(
      await within(settings).findByTestId('success-alert'),
    ).toHaveTextContent('Settings saved');
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('asks for confirmation before deleting a slot; Cancel keeps it', async () => {
    const number = makeNumber();
    const deleteSlot = jest.fn(async () => ({ ...number, slots: [] }));
    renderPage({ getNumber: jest.fn(async () => number), deleteSlot });

    const del = (
      await screen.findAllByRole('button', {
        name: /^Delete slot /,
      })
    )[0];
    fireEvent.click(del);
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent("from this number's weekly schedule?");
    expect(deleteSlot).not.toHaveBeenCalled();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(deleteSlot).not.toHaveBeenCalled();

    fireEvent.click(del);
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Confirm delete',
      }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Slot deleted',
    );
    expect(deleteSlot).toHaveBeenCalledTimes(1);
    expect(deleteSlot).toHaveBeenCalledWith('n1', number.slots[0].id);
  });

  it('deletes the number after a confirmation that says its conversations are kept', async () => {
    const number = makeNumber();
    const deleteNumber = jest
      .fn()
      .mockRejectedValueOnce(
        await responseError(503, 'ServiceUnavailableError', 'database down'),
      )
      .mockResolvedValueOnce(undefined);
    renderPage({ getNumber: jest.fn(async () => number), deleteNumber });

    const button = await screen.findByRole('button', { name: 'Delete number' });
    fireEvent.click(button);
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'Its recorded conversations are kept (they are evidence).',
    );
    expect(deleteNumber).not.toHaveBeenCalled();
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Confirm delete' }),
    );
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'Could not delete the number: database down',
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    fireEvent.click(screen.getByRole('button', { name: 'Delete number' }));
    expect(screen.queryByTestId('error-alert')).toBeNull();
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Confirm delete',
      }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Number +32470123456 deleted. Its recorded conversations are kept.',
    );
    expect(deleteNumber).toHaveBeenCalledTimes(2);
    expect(deleteNumber).toHaveBeenLastCalledWith('n1');
  });

  it('offers "Delete number" only to those with the delete permission', async () => {
    const number = makeNumber();
    renderInTestApp(<NumberDetailPage />, {
      apis: [
        ...catalogApis(),
        [
          voiceRecordingApiRef,
          {
            getNumber: jest.fn(async () => number),
            listPlanningModels: jest.fn(async () => ({ items: [] })),
          },
        ],
        mockApis.permission({
          authorize: req =>
            req.permission.name === 'voice-recording.number.delete'
              ? ('DENY' as any)
              : ALLOW,
        }),
      ],
      mountPath: '/voice-recording/numbers/:id',
      mountedRoutes: catalogRoutes,
      initialRouteEntries: ['/voice-recording/numbers/n1'],
    });
    expect(
      await screen.findByRole('button', { name: 'Save settings' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete number' })).toBeNull();
  });

  it('says the number is not visible when the backend answers 404', async () => {
    renderPage({
      getNumber: jest.fn(async () => {
        throw await responseError(
          404,
          'NotFoundError',
          'recorded number n1 not found',
        );
      }),
    });
    expect(await screen.findByTestId('number-not-visible')).toHaveTextContent(
      'not a recorded number you can see',
    );
    expect(screen.queryByTestId('week-grid')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save settings' })).toBeNull();
  });

  it('adds a slot and redraws the week grid from the answer', async () => {
    const number = makeNumber();
    const addSlot = jest.fn(async (_id: string, slot: any) => ({
      ...number,
      slots: [...number.slots, { ...slot, id: 's2' }],
    }));
    renderPage({ getNumber: jest.fn(async () => number), addSlot });

    const form = await screen.findByRole('form', { name: 'Add slot' });
    fireEvent.click(within(form).getByLabelText('Sat'));
    fireEvent.change(within(form).getByLabelText('Start'), {
      target: { value: '09:00' },
    });
    fireEvent.change(within(form).getByLabelText('End'), {
      target: { value: '12:00' },
    });
    fireEvent.click(within(form).getByRole('button', { name: 'Add slot' }));

    expect(await screen.findByText('Slot added')).toBeInTheDocument();
    expect(addSlot).toHaveBeenCalledWith('n1', {
      weekdays: [6],
      start: '09:00',
      end: '12:00',
    });
    const saturday = within(screen.getByTestId('week-grid-day-6')).getByTestId(
      'week-grid-slot',
    );
    expect(saturday).toHaveAttribute('aria-label', 'Sat 09:00-12:00');
  });
});
