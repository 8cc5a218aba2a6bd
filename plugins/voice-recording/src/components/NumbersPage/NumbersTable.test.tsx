import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { makeNumber } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { NumbersTable } from './NumbersTable';

describe('NumbersTable', () => {
  it('opens a number by a click on its row or Enter on it', async () => {
    const onOpen = jest.fn();
    const items = [
      makeNumber(),
      makeNumber({ id: 'n2', number: '+32470000002' }),
    ];
    await renderInTestApp(<NumbersTable items={items} onOpen={onOpen} />, {
      apis: [...catalogApis()],
      mountedRoutes: catalogRoutes,
    });
    expect(
      screen.getByRole('grid', { name: 'Recorded numbers' }),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByText('+32470000002'));
    expect(onOpen).toHaveBeenLastCalledWith(items[1]);

    screen.getByTestId('number-row-+32470123456').focus();
    await userEvent.keyboard('{Enter}');
    expect(onOpen).toHaveBeenLastCalledWith(items[0]);
    expect(onOpen).toHaveBeenCalledTimes(2);
  });

  it('says when no number matches', async () => {
    await renderInTestApp(<NumbersTable items={[]} onOpen={jest.fn()} />);
    expect(screen.getByText('No recorded numbers match.')).toBeInTheDocument();
  });
});
