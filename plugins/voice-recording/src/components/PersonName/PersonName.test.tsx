import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { PersonName } from './PersonName';

function render(ui: JSX.Element) {
  return renderInTestApp(ui, {
    apis: [...catalogApis()],
    mountedRoutes: catalogRoutes,
  });
}

describe('PersonName', () => {
  it('shows the display name, linked to the catalog page, the ref on hover', async () => {
    await render(<PersonName entityRef="user:default/carol" />);
    const link = await screen.findByRole('link', { name: 'Carol Dubois' });
    expect(link).toHaveAttribute('href', '/catalog/default/user/carol');
    expect(link).toHaveClass('bui-Link');
    expect(screen.getByTestId('person-name')).toHaveAttribute(
      'title',
      'user:default/carol',
    );
  });

  it('shows the ref in a tooltip when the name is reached by keyboard', async () => {
    await render(<PersonName entityRef="user:default/bob" />);
    await screen.findByRole('link', { name: 'Bob Peeters' });
    expect(screen.queryByRole('tooltip')).toBeNull();
    await userEvent.tab();
    await waitFor(() =>
      expect(screen.getByRole('tooltip')).toHaveTextContent('user:default/bob'),
    );
  });

  it('links a ref without kind as a user', async () => {
    await render(<PersonName entityRef="alice" />);
    expect(
      await screen.findByRole('link', { name: 'Alice Martin' }),
    ).toHaveAttribute('href', '/catalog/default/user/alice');
  });

  it('shows a dash, or the given text, when no one is set', async () => {
    await render(
      <>
        <span data-testid="a">
          <PersonName entityRef={undefined} />
        </span>
        <span data-testid="b">
          <PersonName entityRef="  " empty="nobody" />
        </span>
      </>,
    );
    expect(screen.getByTestId('a')).toHaveTextContent('—');
    expect(screen.getByTestId('b')).toHaveTextContent('nobody');
    expect(screen.queryByRole('link')).toBeNull();
  });
});
