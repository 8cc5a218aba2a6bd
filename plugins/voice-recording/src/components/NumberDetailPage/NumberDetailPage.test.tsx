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
import { makeNumber, responseError } from '../../testUtils/fixtures';
import { NumberDetailPage } from './NumberDetailPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

/** The input of a time field (a text box or a time picker's combobox), by its label. */
const timeInput = (
  root: { getAllByLabelText: typeof screen.getAllByLabelText },
  label: string,
) => root.getAllByLabelText(label).find(el => el.tagName === 'INPUT')!;

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW

// The machine running CI is shared: the page (BUI, catalog people) may take over 1 s.
configure({ asyncUtilTimeout: 5000 });

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
    await screen.findByRole('form', { name: 'Number settings' });
    // the Settings section (a region named by its heading)
    const settings = screen.getByRole('region', { name: 'Settings' });

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
    fireEvent.change(timeInput(within(form), 'Start'), {
      target: { value: '09:00' },
    });
    fireEvent.change(timeInput(within(form), 'End'), {
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

  it('says which planning model the schedule was applied from and whether it still follows it', async () => {
    const following = makeNumber({
      planningModel: 'Office hours',
      followsPlanningModel: true,
    });
    const getNumber = jest.fn(async () => following);
    const { unmount } = await renderPage({ getNumber });
    const origin = await screen.findByTestId('schedule-origin');
    expect(origin).toHaveTextContent('Planning model: Office hours');
    expect(origin).toHaveTextContent('still follows it');
    unmount();

    getNumber.mockResolvedValue({ ...following, followsPlanningModel: false });
    await renderPage({ getNumber });
    expect(await screen.findByTestId('schedule-origin')).toHaveTextContent(
      'Planning model: Office hours — applied from it, but no longer follows it: the model was edited after it was applied.',
    );
  });

  it("says a hand-made schedule is the number's own", async () => {
    await renderPage({ getNumber: jest.fn(async () => makeNumber()) });
    expect(await screen.findByTestId('schedule-origin')).toHaveTextContent(
      'Own schedule (not from a planning model).',
    );
  });

  it('applies a chosen planning model (a Select) and shows the answer', async () => {
    const number = makeNumber();
    const applyPlanningModel = jest.fn(async () => ({
      ...number,
      planningModel: 'Office hours',
      followsPlanningModel: true,
    }));
    await renderPage({
      getNumber: jest.fn(async () => number),
      listPlanningModels: jest.fn(async () => ({
        items: [
          { id: 'pm1', name: 'Office hours', slots: [] },
          { id: 'pm2', name: 'Nights', slots: [] },
        ],
      })),
      applyPlanningModel,
    });
    const user = userEvent.setup();
    const apply = await screen.findByRole('button', {
      name: 'Apply planning model',
    });
    expect(apply).toBeDisabled();
    await user.click(screen.getByRole('button', { name: /Planning model/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Office hours' }),
    );
    await user.click(apply);
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Planning model applied',
    );
    expect(applyPlanningModel).toHaveBeenCalledWith('n1', 'pm1');
    expect(screen.getByTestId('schedule-origin')).toHaveTextContent(
      'Planning model: Office hours',
    );
  });
});
