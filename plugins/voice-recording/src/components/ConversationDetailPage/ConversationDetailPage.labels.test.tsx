import {
  configure,
  act,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { stubMediaAndCanvas } from '../../testUtils/media';
import { FREE, chips, renderPage } from './__testUtils__/conversationLabels';

// the shared test machine is slow: async queries wait up to 5 s
configure({ asyncUtilTimeout: 5000 });

beforeEach(() => stubMediaAndCanvas());
afterEach(() => jest.restoreAllMocks());

describe('ConversationDetailPage: labels and cases', () => {
  it('shows the labels as chips and no action to a user without the label right', async () => {
    const { authorize } = renderPage({ labelRights: [] });
    await screen.findByTestId('conversation-labels', {}, { timeout: 5000 });
    expect(chips()).toEqual(['Label 1', 'Training']);
    expect(await screen.findByText('Case: Case 1 title')).toBeInTheDocument();
    // the rights were asked, case by case (open cases and the call's case)
    await waitFor(() =>
      expect(
        authorize.mock.calls
          .map(([r]) => r)
          .filter(r => r.permission.name === 'voice-recording.case.label')
          .map(r => r.resourceRef),
      ).toEqual(['case-1', 'case-2', 'case-3']),
    );
    // each asked once
    expect(
      authorize.mock.calls.filter(
        ([r]) => r.permission.name === 'voice-recording.case.label',
      ),
    ).toHaveLength(3);
    // the decisions are in (DENY): still no action
    await act(() => new Promise(resolve => setTimeout(resolve, 200)));
    expect(
      screen.queryByRole('button', { name: /Remove from case/ }),
    ).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add to case' })).toBeNull();
  });

  it('removes the call from a case after confirmation, for a user with the right', async () => {
    const removeConversationLabel = jest.fn(async () => ({
      labels: [FREE],
      changed: true,
    }));
    renderPage({ labelRights: ['case-1', 'case-2'], removeConversationLabel });
    const user = userEvent.setup();
    const remove = await screen.findByRole(
      'button',
      { name: 'Remove from case Case 1 title' },
      { timeout: 5000 },
    );
    await user.click(remove);
    // asks first; Cancel changes nothing
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('leaves the case "Case 1 title"');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(removeConversationLabel).not.toHaveBeenCalled();
    await user.click(
      screen.getByRole('button', { name: 'Remove from case Case 1 title' }),
    );
    await user.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Remove from case',
      }),
    );
    await waitFor(() =>
      expect(removeConversationLabel).toHaveBeenCalledWith('c1', 'label-1'),
    );
    await waitFor(() => expect(chips()).toEqual(['Training']));
    expect(screen.getByTestId('label-remove-done')).toHaveTextContent(
      'Removed from "Case 1 title".',
    );
    // the label of no case has no removal here (cases only)
    expect(
      screen.queryByRole('button', { name: /Remove from case/ }),
    ).toBeNull();
  });

  it('says clearly, next to the action, when the backend refuses the change (403)', async () => {
    const forbidden = Object.assign(new Error('Request failed with 403'), {
      name: 'ResponseError',
      statusCode: 403,
    });
    const removeConversationLabel = jest.fn(async () => {
      throw forbidden;
    });
    renderPage({ labelRights: ['case-1'], removeConversationLabel });
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole(
        'button',
        { name: 'Remove from case Case 1 title' },
        { timeout: 5000 },
      ),
    );
    await user.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Remove from case',
      }),
    );
    const error = await screen.findByTestId('label-remove-error');
    expect(error).toHaveTextContent(
      'You may not remove this call from "Case 1 title"',
    );
    // next to the label whose removal was refused; the label stays
    expect(
      within(error.closest('li')!).getByTestId('label-chip'),
    ).toHaveTextContent('Label 1');
    expect(chips()).toEqual(['Label 1', 'Training']);
  });
});
