import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fireEvent } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeCase, makeLabel } from '../../testUtils/cases';
import { rootRouteRef } from '../../routes';
import { CasesPage } from './CasesPage';

// The machine running CI is shared: give the debounced catalog search time.
configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW

const pickerInput = (label: string | RegExp) =>
  screen.getAllByLabelText(label).find(el => el.tagName === 'INPUT')!;

function setup(api: Record<string, jest.Mock> = {}) {
  const mock = {
    listCases: jest.fn(async () => ({ items: [makeCase()] })),
    listLabels: jest.fn(async () => ({
      items: [
        makeLabel({ id: 'l1', title: 'Client X', caseId: 'c1' }),
        makeLabel(),
      ],
    })),
    createCase: jest.fn(async (body: any) =>
      makeCase({ id: 'c2', title: body.title }),
    ),
    updateCase: jest.fn(async (id: string, body: any) =>
      makeCase({ id, ...body }),
    ),
    updateLabel: jest.fn(async (id: string, body: any) =>
      makeLabel({ id, ...body }),
    ),
    ...api,
  };
  renderInTestApp(<CasesPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, mock],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
  });
  return mock;
}

describe('CasesPage', () => {
  it('lists cases with their label chip, status, owner by name and access', async () => {
    setup();
    const row = await screen.findByTestId('case-row-c1');
    expect(row).toHaveTextContent('Client X fraud');
    expect(row).toHaveTextContent('Open');
    const chip = within(row).getByTestId('label-chip');
    expect(chip).toHaveTextContent('Client X');
    expect(chip).toHaveStyle({ backgroundColor: '#000080', color: '#ffffff' });
    await waitFor(() =>
      expect(
        within(row).getByRole('link', { name: 'Alice Martin' }),
      ).toBeVisible(),
    );
    expect(row).toHaveTextContent(
      'List: None · Play back: Selected users and groups · Label: Owner only',
    );
    expect(
      within(row).getByRole('link', {
        name: 'Access requests of Client X fraud',
      }),
    ).toHaveAttribute(
      'href',
      '/voice-recording/workflows/all-requests?case=c1',
    );
  });

  it('creates a case with a new label and people who may play it back', async () => {
    const api = setup();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'New case' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(
      within(dialog).getByRole('textbox', { name: /^Title/ }),
      'Client Y',
    );
    await user.click(within(dialog).getByRole('radio', { name: 'New label' }));
    await user.type(
      within(dialog).getByRole('textbox', { name: 'Label title' }),
      'Client Y',
    );
    fireEvent.change(within(dialog).getByLabelText('Label colour'), {
      target: { value: '#ffeb3b' },
    });
    // the preview writes black on yellow
    await waitFor(() =>
      expect(within(dialog).getByTestId('label-chip')).toHaveStyle({
        backgroundColor: '#ffeb3b',
        color: '#000000',
      }),
    );
    await user.click(
      within(dialog).getByRole('button', { name: /Play them back/ }),
    );
    await user.click(
      await screen.findByRole('option', { name: 'Selected users and groups' }),
    );
    await user.type(pickerInput(/^Who may play them back/), 'Car');
    await user.click(
      await screen.findByTestId('person-option-user:default/carol'),
    );
    expect(
      within(
        within(dialog).getByRole('grid', {
          name: 'Who may play them back: chosen',
          hidden: true,
        }),
      ).getByRole('row', { hidden: true }),
    ).toHaveTextContent('Carol Dubois');
    // The picker's list stays open for more people (the rest of the dialog is
    // aria-hidden meanwhile, as in a browser until one clicks elsewhere).
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Create case', hidden: true }),
    );

    await waitFor(() => expect(api.createCase).toHaveBeenCalledTimes(1));
    expect(api.createCase).toHaveBeenCalledWith({
      title: 'Client Y',
      description: undefined,
      status: 'open',
      label: { title: 'Client Y', colour: '#ffeb3b' },
      access: {
        list: { mode: 'none', refs: [] },
        playback: { mode: 'selected', refs: ['user:default/carol'] },
        label: { mode: 'owner', refs: [] },
      },
    });
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Case Client Y created',
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.listCases).toHaveBeenCalledTimes(2);
  });

  it('picks an existing free label (not another case’s) and refuses "selected" without people', async () => {
    const api = setup();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'New case' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(
      within(dialog).getByRole('textbox', { name: /^Title/ }),
      'Client Z',
    );
    await user.click(
      within(dialog).getByRole('button', { name: /Existing label/ }),
    );
    const options = await screen.findAllByRole('option');
    expect(options.map(o => o.textContent)).toEqual(['Free label']);
    await user.click(options[0]);
    await user.click(
      within(dialog).getByRole('button', { name: /List its conversations/ }),
    );
    await user.click(
      await screen.findByRole('option', { name: 'Selected users and groups' }),
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Create case' }),
    );
    expect(
      await within(dialog).findByText(/for each setting that is/),
    ).toBeVisible();
    expect(api.createCase).not.toHaveBeenCalled();

    await user.click(
      within(dialog).getByRole('button', { name: /List its conversations/ }),
    );
    await user.click(await screen.findByRole('option', { name: 'Everyone' }));
    await user.click(
      within(dialog).getByRole('button', { name: 'Create case' }),
    );
    await waitFor(() =>
      expect(api.createCase).toHaveBeenCalledWith(
        expect.objectContaining({
          title: 'Client Z',
          labelId: 'l2',
          access: expect.objectContaining({
            list: { mode: 'everyone', refs: [] },
          }),
        }),
      ),
    );
  });

  it('shows the backend refusal in the dialog, next to its button', async () => {
    setup({
      createCase: jest.fn(async () => {
        throw await responseError(
          409,
          'ConflictError',
          'label.title: a label Client X exists',
        );
      }),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'New case' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(
      within(dialog).getByRole('textbox', { name: /^Title/ }),
      'Dup',
    );
    await user.click(within(dialog).getByRole('radio', { name: 'New label' }));
    await user.type(
      within(dialog).getByRole('textbox', { name: 'Label title' }),
      'Client X',
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Create case' }),
    );
    expect(await within(dialog).findByTestId('error-alert')).toHaveTextContent(
      'Case not saved: label.title: a label Client X exists',
    );
    expect(screen.queryByTestId('success-alert')).toBeNull();
  });

  it('edits a case: closes it and recolours its label', async () => {
    const api = setup();
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Edit Client X fraud' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('textbox', { name: /^Title/ })).toHaveValue(
      'Client X fraud',
    );
    await user.click(within(dialog).getByRole('button', { name: /Status$/ }));
    await user.click(await screen.findByRole('option', { name: 'Closed' }));
    fireEvent.change(within(dialog).getByLabelText('Label colour'), {
      target: { value: '#e53935' },
    });
    await user.click(within(dialog).getByRole('button', { name: 'Save case' }));
    await waitFor(() =>
      expect(api.updateCase).toHaveBeenCalledWith('c1', {
        title: 'Client X fraud',
        description: 'Calls with client X in November',
        status: 'closed',
        access: makeCase().access,
      }),
    );
    expect(api.updateLabel).toHaveBeenCalledWith('l1', {
      title: 'Client X',
      colour: '#e53935',
    });
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Case Client X fraud saved',
    );
  });
});
