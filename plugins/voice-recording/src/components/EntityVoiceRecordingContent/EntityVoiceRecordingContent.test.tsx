import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { isMobileNumberEntity } from '../../plugin';
import { makeNumber, responseError } from '../../testUtils/fixtures';
import { EntityVoiceRecordingContent } from './EntityVoiceRecordingContent';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { coverage } from '../../testUtils/health';

const getNumberCoverage = jest.fn(async () => ({
  coverage: coverage({ numberId: 'n1' }),
  days: [],
  alarms: [],
}));

const entity: Entity = {
  apiVersion: 'voice-recording.mvr/v1alpha1',
  kind: 'RecordedNumber',
  metadata: {
    name: 'mobile-n1',
    annotations: {
      'voice-recording.mvr/number-id': 'n1',
      'voice-recording.mvr/number': '+32470123456',
    },
  },
  spec: { type: 'mobile-number', owner: 'user:default/bob' },
};

function renderContent(getNumber: jest.Mock) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <EntityVoiceRecordingContent />
    </EntityProvider>,
    {
      apis: [
        ...catalogApis(),
        // the default permission answer allows: the admin's recording health is read too
        [voiceRecordingApiRef, { getNumber, getNumberCoverage }],
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    },
  );
}

describe('EntityVoiceRecordingContent', () => {
  it('shows status, read-only settings, the week grid and a link to the detail page', async () => {
    const getNumber = jest.fn(async () =>
      makeNumber({
        status: 'recording',
        planningModel: 'Office hours',
        followsPlanningModel: false,
      }),
    );
    renderContent(getNumber);
    expect(await screen.findByTestId('week-grid')).toBeInTheDocument();
    expect(screen.getByTestId('number-settings-summary')).toHaveTextContent(
      'Planning modelOffice hours (no longer follows it)',
    );
    expect(getNumber).toHaveBeenCalledWith('n1');
    expect(screen.getByTestId('status-badge')).toHaveTextContent(
      'Recording now',
    );
    expect(screen.getByTestId('number-settings-summary')).toHaveTextContent(
      'Time zoneEurope/Brussels',
    );
    expect(screen.getAllByTestId('week-grid-slot')).toHaveLength(5);
    expect(
      screen.getByRole('link', { name: 'Open in Voice recording' }),
    ).toHaveAttribute('href', '/voice-recording/numbers/n1');
    expect(screen.queryByRole('button', { name: /save/i })).toBeNull();
    expect(
      await screen.findByTestId('entity-recording-health'),
    ).toHaveTextContent('No recording alarm');
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('shows a Manual number’s status as a sentence instead of the weekly grid', async () => {
    const getNumber = jest.fn(async () =>
      makeNumber({
        status: 'private',
        settings: {
          ...makeNumber().settings,
          statusMode: 'manual',
          activeStatus: 'private',
        },
      }),
    );
    renderContent(getNumber);
    expect(await screen.findByTestId('recording-rule')).toHaveTextContent(
      'Not recorded: follows the manual status (Private)',
    );
    expect(screen.queryByTestId('week-grid')).toBeNull();
  });

  it('says so when the number is not visible to the user (404)', async () => {
    const getNumber = jest.fn(async () => {
      throw await responseError(404, 'NotFoundError', 'no recorded number n1');
    });
    renderContent(getNumber);
    expect(await screen.findByTestId('number-not-visible')).toHaveTextContent(
      '+32470123456 is not a recorded number you can see.',
    );
    expect(screen.queryByTestId('week-grid')).toBeNull();
  });
});

describe('isMobileNumberEntity', () => {
  it('matches RecordedNumber entities of type mobile-number only', () => {
    expect(isMobileNumberEntity(entity)).toBe(true);
    expect(isMobileNumberEntity({ ...entity, kind: 'recordednumber' })).toBe(
      true,
    );
    expect(isMobileNumberEntity({ ...entity, kind: 'Resource' })).toBe(false);
    expect(
      isMobileNumberEntity({ ...entity, spec: { type: 'database' } }),
    ).toBe(false);
    expect(isMobileNumberEntity({ ...entity, kind: 'Component' })).toBe(false);
  });
});
