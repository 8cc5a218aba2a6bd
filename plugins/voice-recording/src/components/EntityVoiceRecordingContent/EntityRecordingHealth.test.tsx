import { screen, within } from '@testing-library/react';
import { makeNumber } from '../../testUtils/fixtures';
import { numberEntity, renderEntityTab } from './__testUtils__/entityTab';

// a standard user (the owner): the annotation only; the health API is for admins
describe('recording health on the entity tab (standard user)', () => {
  it('shows the catalog annotation’s health, without asking the API or linking to the admin page', async () => {
    const getNumberCoverage = jest.fn();
    renderEntityTab(
      numberEntity('failed'),
      { getNumber: jest.fn(async () => makeNumber()), getNumberCoverage },
      'DENY',
    );
    const health = await screen.findByTestId('entity-recording-health');
    expect(within(health).getByTestId('attention-badge')).toHaveTextContent(
      'Failed',
    );
    expect(health).toHaveTextContent(
      'A recording alarm is open: calls of this number may not be recorded.',
    );
    expect(within(health).queryByRole('link')).toBeNull();
    expect(getNumberCoverage).not.toHaveBeenCalled();
  });

  it('shows nothing without the annotation (an older catalog module)', async () => {
    renderEntityTab(
      numberEntity(),
      { getNumber: jest.fn(async () => makeNumber()) },
      'DENY',
    );
    await screen.findByTestId('number-title');
    expect(screen.queryByTestId('entity-recording-health')).toBeNull();
  });
});
