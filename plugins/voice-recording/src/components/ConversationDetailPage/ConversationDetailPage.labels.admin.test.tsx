import { configure, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { stubMediaAndCanvas } from '../../testUtils/media';
import {
  ALLOW,
  CASES,
  FREE,
  chips,
  labelOf,
  renderPage,
} from './__testUtils__/conversationLabels';

// A user the permission backend allows everything (an admin). In a file of its own:
// usePermission keeps its answers for the whole file, so a denied audit.read from an
// earlier test would hide the access history here.
// the shared test machine is slow: async queries wait up to 5 s
configure({ asyncUtilTimeout: 5000 });

beforeEach(() => stubMediaAndCanvas());
afterEach(() => jest.restoreAllMocks());

describe('ConversationDetailPage: labels and cases (admin)', () => {
  it('adds the call to a case the user may label (open cases only), and the admin history is reloaded', async () => {
    const addConversationLabel = jest.fn(async () => ({
      labels: [labelOf(CASES[0]), labelOf(CASES[1]), FREE],
      changed: true,
    }));
    const getAccessHistory = jest.fn(async () => ({ items: [] }));
    renderPage({
      labelRights: ['case-1', 'case-2', 'case-4'],
      others: ALLOW, // an admin: sees the access history
      addConversationLabel,
      getAccessHistory,
    });
    const user = userEvent.setup();
    const add = await screen.findByRole(
      'button',
      { name: 'Add to case' },
      { timeout: 5000 },
    );
    expect(add).toBeDisabled();
    await user.click(
      screen.getByRole('button', { name: /Case to add this call to$/ }),
    );
    const options = (await screen.findAllByRole('option')).map(
      o => o.textContent,
    );
    // case 1: already in it; case 3: no right; case 4: closed
    expect(options).toEqual(['Case 2 title']);
    await user.click(screen.getByRole('option', { name: 'Case 2 title' }));
    await user.click(screen.getByRole('button', { name: 'Add to case' }));
    await waitFor(() =>
      expect(addConversationLabel).toHaveBeenCalledWith('c1', 'label-2'),
    );
    await waitFor(() =>
      expect(chips()).toEqual(['Label 1', 'Label 2', 'Training']),
    );
    expect(screen.getByTestId('label-add-done')).toHaveTextContent(
      'Added to "Case 2 title".',
    );
    await waitFor(() => expect(getAccessHistory).toHaveBeenCalledTimes(2), {
      timeout: 5000,
    });
  });
});
