import { APIRequestContext, expect, test } from '@playwright/test';
import { chooseOption, fillTime, setChecked, signIn, tokenOf } from './support';
import { bearer } from './conversationSupport';

/**
 * Messages belong to the action that raised them and go stale: an error of the number
 * page's schedule (an overlapping slot, refused by the backend) disappears when the next
 * action succeeds ("Planning model applied"), and when the form it came from changes.
 */

/** A Belgian mobile number no earlier run (on a reused server) has taken. */
function freshNumber(): string {
  const digits = `${(Date.now() + 500_000) % 1_000_000}`.padStart(6, '0');
  return `+32479${digits}`;
}

async function createNumber(request: APIRequestContext, number: string) {
  const res = await request.post('/api/voice-recording/numbers', {
    headers: bearer(await tokenOf(request, 'alice')),
    data: {
      number,
      userRef: 'user:default/dave',
      slots: [{ weekdays: [1], start: '08:00', end: '18:00' }],
    },
  });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function deleteNumber(request: APIRequestContext, id: string) {
  const res = await request.delete(`/api/voice-recording/numbers/${id}`, {
    headers: bearer(await tokenOf(request, 'alice')),
  });
  expect([204, 404]).toContain(res.status());
}

test('an error of the schedule disappears when the next action succeeds, and when its form changes', async ({
  page,
  request,
}) => {
  const number = freshNumber();
  const id = await createNumber(request, number);
  try {
    await signIn(page, 'alice');
    await page.goto(`/voice-recording/numbers/${id}`);
    await expect(page.getByTestId('number-title')).toHaveText(number);

    const schedule = page.getByRole('region', { name: 'Weekly schedule' });
    const addSlot = schedule.getByRole('form', { name: 'Add slot' });
    const error = page.getByTestId('error-alert');
    const success = page.getByTestId('success-alert');

    const addOverlappingSlot = async () => {
      await setChecked(
        addSlot
          .getByRole('group', { name: 'Weekdays' })
          .getByRole('checkbox', { name: 'Mon' }),
      );
      await fillTime(addSlot, 'Start', '09:00');
      await fillTime(addSlot, 'End', '10:00');
      await addSlot.getByRole('button', { name: 'Add slot' }).click();
      // refused by the backend, said in the schedule's section, next to its action
      await expect(schedule.getByTestId('error-alert')).toContainText(
        'overlaps',
      );
      await expect(error).toHaveCount(1);
    };

    // 1. the next action succeeds: its message replaces the error
    await addOverlappingSlot();
    await chooseOption(schedule, 'Planning model', 'Office hours');
    await schedule
      .getByRole('button', { name: 'Apply planning model' })
      .click();
    await expect(schedule.getByTestId('success-alert')).toHaveText(
      'Planning model applied',
    );
    await expect(error).toHaveCount(0);
    await expect(success).toHaveCount(1);

    // 2. the form changes: the error is stale and goes (nothing else is shown)
    await page.reload();
    await expect(page.getByTestId('number-title')).toHaveText(number);
    await addOverlappingSlot();
    await fillTime(addSlot, 'Start', '18:00');
    await expect(error).toHaveCount(0);
    await expect(success).toHaveCount(0);
  } finally {
    await deleteNumber(request, id);
  }
});
