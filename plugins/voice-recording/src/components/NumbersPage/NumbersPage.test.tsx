import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { makeNumber, responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { NumbersPage } from './NumbersPage';

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW

/**
 * The text input of a people picker by its label (a combobox or a text box, whichever
 * the picker renders).
 */
const pickerInput = (
  root: { getAllByLabelText: typeof screen.getAllByLabelText },
  label: string | RegExp,
) => root.getAllByLabelText(label).find(el => el.tagName === 'INPUT')!;

// The machine running CI is shared: give the debounced catalog search time.
configure({ asyncUtilTimeout: 5000 });

function render(items = [makeNumber()]) {
  const api = {
    listNumbers: jest.fn(async () => ({ items, total: items.length })),
    listPlanningModels: jest.fn(async () => ({ items: [] })),
    createNumber: jest.fn(async () =>
      makeNumber({ id: 'n2', userRef: 'user:default/carol' }),
    ),
  };
  renderInTestApp(<NumbersPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, api],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: catalogRoutes,
  });
  return api;
}

describe('NumbersPage: people, not ids', () => {
  it('shows the owner by display name, linked to the catalog, ref on hover', async () => {
    render();
    const row = await screen.findByTestId('number-row-+32470123456');
    const owner = within(row).getByRole('link', { name: 'Bob Peeters' });
    expect(owner).toHaveAttribute('href', '/catalog/default/user/bob');
    expect(within(row).getByTestId('person-name')).toHaveAttribute(
      'title',
      'user:default/bob',
    );
  });

  it('creates a number for the owner chosen by typing "Car" and picking Carol Dubois', async () => {
    const api = render();
    await userEvent.click(
      await screen.findByRole('button', { name: 'Add number' }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Phone number' }),
      '+32470999888',
    );
    await userEvent.type(pickerInput(screen, /^Owner/), 'Car');
    const carol = await screen.findByTestId('person-option-user:default/carol');
    expect(carol).toHaveTextContent('carol@acme-bank.example');
    await userEvent.click(carol);
    await userEvent.click(
      screen.getByRole('button', { name: 'Create number' }),
    );

    await waitFor(() =>
      expect(api.createNumber).toHaveBeenCalledWith(
        expect.objectContaining({
          number: '+32470999888',
          userRef: 'user:default/carol',
        }),
      ),
    );
  });

  it('filters the list by a person chosen by name', async () => {
    const api = render();
    await screen.findByTestId('number-row-+32470123456');
    await userEvent.type(pickerInput(screen, 'User'), 'alice@');
    await userEvent.click(
      await screen.findByTestId('person-option-user:default/alice'),
    );
    await waitFor(() =>
      expect(api.listNumbers).toHaveBeenLastCalledWith(
        expect.objectContaining({ userRef: 'user:default/alice' }),
      ),
    );
  });

  it("the add form's error is next to it, gone when the form changes, and a later success says so", async () => {
    const api = render();
    api.createNumber.mockRejectedValueOnce(
      await responseError(
        409,
        'ConflictError',
        '+32470999888 is already recorded',
      ),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Add number' }),
    );
    const form = screen
      .getByRole('button', { name: 'Create number' })
      .closest('form') as HTMLElement;
    await userEvent.type(
      within(form).getByRole('textbox', { name: 'Phone number' }),
      '+32470999888',
    );
    await userEvent.type(pickerInput(within(form), /^Owner/), 'Car');
    await userEvent.click(
      await screen.findByTestId('person-option-user:default/carol'),
    );
    await userEvent.click(
      within(form).getByRole('button', { name: 'Create number' }),
    );
    expect(await within(form).findByTestId('error-alert')).toHaveTextContent(
      '+32470999888 is already recorded',
    );

    // Changing the form makes the message stale.
    await userEvent.type(
      within(form).getByRole('textbox', { name: 'Phone number' }),
      '7',
    );
    expect(screen.queryByTestId('error-alert')).toBeNull();

    await userEvent.click(
      within(form).getByRole('button', { name: 'Create number' }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Number +32470123456 added',
    );
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('a cancelled form does not show its old error when opened again', async () => {
    const api = render();
    api.createNumber.mockRejectedValueOnce(
      await responseError(400, 'InputError', 'not a phone number'),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Add number' }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Phone number' }),
      '12',
    );
    await userEvent.type(pickerInput(screen, /^Owner/), 'Car');
    await userEvent.click(
      await screen.findByTestId('person-option-user:default/carol'),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Create number' }),
    );
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'not a phone number',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await userEvent.click(screen.getByRole('button', { name: 'Add number' }));
    expect(screen.getByRole('button', { name: 'Create number' })).toBeVisible();
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('says per number which planning model it was applied from and whether it still follows it', async () => {
    render([
      makeNumber({ planningModel: 'Office hours', followsPlanningModel: true }),
      makeNumber({
        id: 'n2',
        number: '+32470000002',
        planningModel: 'Office hours',
        followsPlanningModel: false,
      }),
      makeNumber({ id: 'n3', number: '+32470000003' }),
    ]);
    const cells = async (n: string) =>
      within(await screen.findByTestId(`number-row-${n}`))
        .getAllByRole('gridcell')
        .map(c => c.textContent);
    expect((await cells('+32470123456')).at(-1)).toBe('Office hours');
    expect((await cells('+32470000002')).at(-1)).toBe(
      'Office hours (no longer follows it)',
    );
    expect((await cells('+32470000003')).at(-1)).toBe('—');
  });
});
