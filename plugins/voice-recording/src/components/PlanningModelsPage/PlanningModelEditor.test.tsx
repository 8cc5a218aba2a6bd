import { fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { responseError } from '../../testUtils/fixtures';
import { PlanningModelEditor } from './PlanningModelEditor';

/** The input of a time field (a text box or a time picker's combobox), by its label. */
const timeInput = (
  root: { getAllByLabelText: typeof screen.getAllByLabelText },
  label: string,
) => root.getAllByLabelText(label).find(el => el.tagName === 'INPUT')!;

const model = {
  id: 'pm1',
  name: 'Option1',
  slots: [
    { weekdays: [1, 2, 3, 4, 5] as any, start: '08:00', end: '12:00' },
    { weekdays: [6] as any, start: '09:00', end: '13:00' },
  ],
  createdAt: '',
  updatedAt: '',
};

describe('PlanningModelEditor', () => {
  it('says how many numbers use the model, how many follow it, and the copy-on-apply rule', async () => {
    await renderInTestApp(
      <PlanningModelEditor
        model={{ ...model, usedBy: 3, followedBy: 2 }}
        onSaved={jest.fn()}
        onCancel={jest.fn()}
      />,
      { apis: [[voiceRecordingApiRef, {}]] },
    );
    const usage = screen.getByTestId('planning-model-usage');
    expect(usage).toHaveTextContent(
      'Used by 3 numbers (2 follow it, 1 no longer does).',
    );
    expect(usage).toHaveTextContent(
      'A planning model is copied when it is applied: saving it changes no number',
    );
  });

  it('a new model has no usage line', async () => {
    await renderInTestApp(
      <PlanningModelEditor onSaved={jest.fn()} onCancel={jest.fn()} />,
      { apis: [[voiceRecordingApiRef, {}]] },
    );
    expect(
      screen.getByRole('heading', { name: 'New planning model' }),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('planning-model-usage')).toBeNull();
  });

  it('shows the backend slot error next to the slot it names', async () => {
    const updatePlanningModel = jest.fn(async () => {
      throw await responseError(400, 'InputError', 'invalid slots', {
        slotErrors: [{ index: 1, message: 'Saturday is not a business day' }],
      });
    });
    await renderInTestApp(
      <PlanningModelEditor
        model={model}
        onSaved={jest.fn()}
        onCancel={jest.fn()}
      />,
      { apis: [[voiceRecordingApiRef, { updatePlanningModel }]] },
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'Save planning model' }),
    );

    const error = await screen.findByTestId('slot-error-1');
    expect(error).toHaveTextContent('Saturday is not a business day');
    expect(
      within(screen.getByTestId('slot-row-1')).getByTestId('slot-error-1'),
    ).toBe(error);
    expect(screen.queryByTestId('slot-error-0')).toBeNull();
    expect(screen.getByTestId('error-alert')).toHaveTextContent(
      'invalid slots',
    );
    // the preview marks the same slot
    const marked = screen
      .getAllByTestId('week-grid-slot')
      .filter(b => b.dataset.error === 'true');
    expect(marked.map(b => b.dataset.slotIndex)).toEqual(['1']);
  });

  it('flags an overlap at once (shared validateSlots) and does not send it', async () => {
    const updatePlanningModel = jest.fn();
    await renderInTestApp(
      <PlanningModelEditor
        model={model}
        onSaved={jest.fn()}
        onCancel={jest.fn()}
      />,
      { apis: [[voiceRecordingApiRef, { updatePlanningModel }]] },
    );
    // Saturday 09:00-13:00 -> also Friday, overlapping slot 1 (Mon-Fri 08:00-12:00)
    fireEvent.click(
      within(screen.getByTestId('slot-row-1')).getByLabelText('Fri'),
    );

    const error = await screen.findByTestId('slot-error-1');
    expect(error).toHaveTextContent(
      'overlaps slot Mon,Tue,Wed,Thu,Fri 08:00-12:00 (slot 1)',
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'Save planning model' }),
    );
    expect(updatePlanningModel).not.toHaveBeenCalled();
  });

  it('creates a model with the edited slots', async () => {
    const createPlanningModel = jest.fn(async (input: any) => ({
      ...input,
      id: 'new',
      createdAt: '',
      updatedAt: '',
    }));
    const onSaved = jest.fn();
    await renderInTestApp(
      <PlanningModelEditor onSaved={onSaved} onCancel={jest.fn()} />,
      {
        apis: [[voiceRecordingApiRef, { createPlanningModel }]],
      },
    );
    fireEvent.change(screen.getByLabelText(/Name/), {
      target: { value: 'Traders' },
    });
    fireEvent.change(timeInput(screen, 'End (slot 1)'), {
      target: { value: '17:30' },
    });
    fireEvent.click(
      screen.getByRole('button', { name: 'Save planning model' }),
    );
    await screen.findByRole('button', { name: 'Save planning model' });
    expect(createPlanningModel).toHaveBeenCalledWith({
      name: 'Traders',
      description: undefined,
      slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '17:30' }],
    });
    expect(onSaved).toHaveBeenCalled();
  });
});
