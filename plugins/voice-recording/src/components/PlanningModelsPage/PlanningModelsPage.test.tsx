import { fireEvent, screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { responseError } from '../../testUtils/fixtures';
import { PlanningModelsPage } from './PlanningModelsPage';

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW

const model = {
  id: 'pm1',
  name: 'Option1',
  slots: [{ weekdays: [1, 2, 3, 4, 5] as any, start: '08:00', end: '12:00' }],
  createdAt: '',
  updatedAt: '',
};

async function failDelete(api: Record<string, jest.Mock>) {
  await renderInTestApp(<PlanningModelsPage />, {
    apis: [
      [
        voiceRecordingApiRef,
        {
          listPlanningModels: jest.fn(async () => ({ items: [model] })),
          deletePlanningModel: jest.fn(async () => {
            throw await responseError(
              409,
              'ConflictError',
              'planning model Option1 is used by 3 numbers',
            );
          }),
          ...api,
        },
      ],
      mockApis.permission({ authorize: ALLOW }),
    ],
  });
  fireEvent.click(
    await screen.findByRole('button', { name: 'Delete Option1' }),
  );
  fireEvent.click(screen.getByRole('button', { name: 'Confirm delete' }));
  expect(await screen.findByTestId('error-alert')).toHaveTextContent(
    'planning model Option1 is used by 3 numbers',
  );
  // The confirmation dialog has closed (the page is no longer hidden behind it).
  await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
}

describe('PlanningModelsPage', () => {
  it('lists each model with its slots and how many numbers use and follow it', async () => {
    await renderInTestApp(<PlanningModelsPage />, {
      apis: [
        [
          voiceRecordingApiRef,
          {
            listPlanningModels: jest.fn(async () => ({
              items: [{ ...model, usedBy: 4, followedBy: 1 }],
            })),
          },
        ],
        mockApis.permission({ authorize: ALLOW }),
      ],
    });
    const row = await screen.findByTestId('planning-model-row-Option1');
    expect(row).toHaveTextContent('Mon,Tue,Wed,Thu,Fri 08:00-12:00');
    expect(row).toHaveTextContent(
      'Used by 4 numbers (1 follows it, 3 no longer do)',
    );
    expect(
      screen.getByRole('button', { name: 'Edit Option1' }),
    ).toBeInTheDocument();
  });

  it('a failed delete\'s message is gone once a model is saved ("saved" never next to the old error)', async () => {
    const createPlanningModel = jest.fn(async (input: any) => ({
      ...model,
      ...input,
      id: 'pm2',
    }));
    await failDelete({ createPlanningModel });

    fireEvent.click(screen.getByRole('button', { name: 'New planning model' }));
    fireEvent.change(screen.getByLabelText(/Name/), {
      target: { value: 'Evenings' },
    });
    fireEvent.click(
      screen.getByRole('button', { name: 'Save planning model' }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Planning model Evenings saved',
    );
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it("opening the editor (a new action) clears the failed delete's message", async () => {
    await failDelete({});
    fireEvent.click(screen.getByRole('button', { name: 'Edit Option1' }));
    await waitFor(() => expect(screen.queryByTestId('error-alert')).toBeNull());
  });

  it("the editor's save error disappears when the form changes", async () => {
    const updatePlanningModel = jest.fn(async () => {
      throw await responseError(
        503,
        'ServiceUnavailableError',
        'database down',
      );
    });
    await failDelete({ updatePlanningModel });
    fireEvent.click(screen.getByRole('button', { name: 'Edit Option1' }));
    fireEvent.click(
      screen.getByRole('button', { name: 'Save planning model' }),
    );
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'database down',
    );
    fireEvent.change(screen.getByLabelText(/Description/), {
      target: { value: 'mornings' },
    });
    expect(screen.queryByTestId('error-alert')).toBeNull();
  });

  it('says after saving a used model that the numbers which no longer follow it are unchanged', async () => {
    const updatePlanningModel = jest.fn(async () => ({
      ...model,
      usedBy: 3,
      followedBy: 0,
    }));
    await renderInTestApp(<PlanningModelsPage />, {
      apis: [
        [
          voiceRecordingApiRef,
          {
            listPlanningModels: jest.fn(async () => ({
              items: [{ ...model, usedBy: 3, followedBy: 3 }],
            })),
            updatePlanningModel,
          },
        ],
        mockApis.permission({ authorize: ALLOW }),
      ],
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Edit Option1' }),
    );
    expect(screen.getByTestId('planning-model-usage')).toHaveTextContent(
      'Used by 3 numbers (all follow it).',
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'Save planning model' }),
    );
    expect(await screen.findByTestId('success-alert')).toHaveTextContent(
      'Planning model Option1 saved. Used by 3 numbers (none follows it any more): their schedules are unchanged until it is applied to them again.',
    );
  });
});
