import { render, screen } from '@testing-library/react';
import { StatusBadge } from './StatusBadge';

describe('StatusBadge', () => {
  it.each([
    ['recording', 'Recording now'],
    ['private', 'Private'],
    ['outside-schedule', 'Outside schedule'],
    ['inactive', 'Inactive'],
  ] as const)('shows %s as "%s"', (status, label) => {
    render(<StatusBadge status={status} />);
    const badge = screen.getByTestId('status-badge');
    expect(badge).toHaveTextContent(label);
    expect(badge).toHaveAttribute('data-status', status);
  });
});
