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

  it('gives private and recording distinct colours as well as distinct labels', () => {
    render(
      <>
        <StatusBadge status="recording" />
        <StatusBadge status="private" />
      </>,
    );
    const [recording, priv] = screen.getAllByTestId('status-badge');
    expect(recording.textContent).not.toEqual(priv.textContent);
    const colour = (e: HTMLElement) => getComputedStyle(e).backgroundColor;
    expect(colour(recording)).not.toEqual('');
    expect(colour(priv)).not.toEqual('');
    expect(colour(recording)).not.toEqual(colour(priv));
    // From the theme's tokens, so that they follow light and dark: red for recording,
    // blue for private.
    expect(recording.style.backgroundColor).toBe(
      'var(--bui-negative-bg-subdued)',
    );
    expect(priv.style.backgroundColor).toBe(
      'var(--bui-announcement-bg-subdued)',
    );
  });

  it('is a Backstage UI badge, not a Material UI chip', () => {
    render(<StatusBadge status="recording" />);
    const badge = screen.getByTestId('status-badge');
    expect(badge).toHaveClass('bui-Badge');
    expect(badge.className).not.toMatch(/MuiChip/);
  });

  it('says an FMU number cannot be recorded, keeping the backend status', () => {
    render(<StatusBadge status="inactive" fmu />);
    const badge = screen.getByTestId('status-badge');
    expect(badge).toHaveTextContent('Cannot be recorded (FMU)');
    expect(badge).toHaveAttribute('data-status', 'inactive');
    expect(badge).toHaveAttribute('data-fmu', 'true');
  });
});
