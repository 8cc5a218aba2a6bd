import { render, screen } from '@testing-library/react';
import { ErrorAlert } from './ErrorAlert';

describe('ErrorAlert', () => {
  it('shows the error message, after the title, as an alert', () => {
    render(
      <ErrorAlert
        title="Could not save"
        error={new Error('start must be before end')}
      />,
    );
    const alert = screen.getByRole('alert');
    expect(alert).toHaveAttribute('data-testid', 'error-alert');
    expect(alert).toHaveTextContent('Could not save: start must be before end');
    expect(alert).toHaveClass('bui-Alert');
    expect(alert).toHaveAttribute('data-status', 'danger');
  });

  it('shows nothing without an error', () => {
    render(<ErrorAlert title="Could not save" />);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
