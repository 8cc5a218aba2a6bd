import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ConfirmDialog } from './ConfirmDialog';

function renderDialog(open = true) {
  const onConfirm = jest.fn();
  const onClose = jest.fn();
  render(
    <ConfirmDialog
      open={open}
      title="Delete slot"
      text="Delete Mon 08:00-18:00?"
      confirmLabel="Confirm delete"
      onConfirm={onConfirm}
      onClose={onClose}
    />,
  );
  return { onConfirm, onClose };
}

describe('ConfirmDialog', () => {
  it('asks the question in a dialog named by its title', () => {
    renderDialog();
    const dialog = screen.getByRole('dialog', { name: 'Delete slot' });
    expect(dialog).toHaveTextContent('Delete Mon 08:00-18:00?');
    expect(
      within(dialog).getByRole('button', { name: 'Confirm delete' }),
    ).toBeInTheDocument();
  });

  it('confirms with its button and cancels with Cancel or Escape', async () => {
    const { onConfirm, onClose } = renderDialog();
    const dialog = screen.getByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Confirm delete' }),
    );
    expect(onConfirm).toHaveBeenCalledTimes(1);
    expect(onClose).not.toHaveBeenCalled();

    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Cancel' }),
    );
    expect(onClose).toHaveBeenCalledTimes(1);

    await userEvent.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalledTimes(2);
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it('shows nothing while closed', () => {
    renderDialog(false);
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
