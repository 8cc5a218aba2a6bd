import {
  act,
  render,
  renderHook,
  screen,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FormDialog, useSubmission } from './FormDialog';

describe('FormDialog', () => {
  it('shows its fields and the error, confirms, cancels and is disabled while busy', async () => {
    const onConfirm = jest.fn();
    const onClose = jest.fn();
    const { rerender } = render(
      <FormDialog
        title="Place a legal hold"
        error={new Error('a standing hold already')}
        errorTitle="Hold not placed"
        confirmLabel="Place hold"
        busy={false}
        onConfirm={onConfirm}
        onClose={onClose}
      >
        <p>the fields</p>
      </FormDialog>,
    );
    const dialog = screen.getByRole('dialog', { name: 'Place a legal hold' });
    expect(dialog).toHaveTextContent('the fields');
    expect(within(dialog).getByRole('alert')).toHaveTextContent(
      'Hold not placed: a standing hold already',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Place hold' }),
    );
    expect(onConfirm).toHaveBeenCalledTimes(1);
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Cancel' }),
    );
    expect(onClose).toHaveBeenCalledTimes(1);

    rerender(
      <FormDialog
        title="Place a legal hold"
        error={undefined}
        errorTitle="Hold not placed"
        confirmLabel="Place hold"
        busy
        onConfirm={onConfirm}
        onClose={onClose}
      >
        <p>the fields</p>
      </FormDialog>,
    );
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('button', { name: 'Place hold' })).toBeDisabled();
  });
});

describe('useSubmission', () => {
  it('is busy while the action runs, keeps its error and clears it on the next run', async () => {
    const { result } = renderHook(() => useSubmission());
    let finish: () => void = () => {};
    let running: Promise<void> = Promise.resolve();
    act(() => {
      running = result.current.run(
        () => new Promise<void>(resolve => (finish = resolve)),
      );
    });
    expect(result.current.busy).toBe(true);
    await act(async () => {
      finish();
      await running;
    });
    expect(result.current.busy).toBe(false);
    expect(result.current.error).toBeUndefined();

    await act(() => result.current.run(() => Promise.reject(new Error('no'))));
    expect(result.current.busy).toBe(false);
    expect((result.current.error as Error).message).toBe('no');

    await act(() => result.current.run(async () => undefined));
    expect(result.current.error).toBeUndefined();
  });
});
