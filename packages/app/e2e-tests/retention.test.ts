import { expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  chooseOption,
  signIn,
  tokenOf,
  uniqueSuffix,
} from './support';
import { bearer } from './conversationSupport';
import { placeRecordedCalls } from './caseSupport';

/**
 * Retention end to end (docs/retention.md): Alice (compliance) makes a 10-year policy
 * for the Trading desk group in Compliance › Retention, picking the group by name; a
 * new recorded call of Bob's (a member) is archived with that retention end, which its
 * page shows; Compliance › Disposals lists the next 30 days and runs a dry run; the
 * policy is deleted again through the portal.
 */

const API = '/api/voice-recording';

test("an admin sets a retention policy for a group, a member's next call is kept that long, upcoming disposals and a dry run show", async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  const token = await tokenOf(request, 'alice');
  const name = `Trading ten years ${uniqueSuffix()}`;
  await signIn(page, 'alice');
  await page.goto('/voice-recording/compliance/retention');
  await expect(page.getByTestId('retention-minimum')).toContainText(
    'Regulatory minimum: 5 years (P5Y)',
  );

  await page.getByRole('button', { name: 'New policy' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: /^Name/ }).fill(name);
  await chooseOption(dialog, 'Period', '10 years (P10Y)');
  await chooseOption(dialog, 'Applies to', 'Members of catalog groups');
  await dialog.getByRole('combobox', { name: /Groups/ }).fill('Trad');
  await page.getByTestId('person-option-group:default/trading').click();
  // the list of a multiple picker stays open: leave the field
  await dialog.getByText('New retention policy').click();
  await expect(
    page.getByTestId('person-option-group:default/trading'),
  ).toBeHidden();
  await dialog.getByRole('button', { name: 'Create policy' }).click();
  await expect(page.getByTestId('success-alert')).toContainText(
    `Policy ${name} saved`,
  );
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('10 years (P10Y)');
  // the group by its display name, not its ref
  await expect(row).toContainText('Trading desk');
  await expect(row).not.toContainText('group:default/trading');

  try {
    // a new call of Bob's (Trading desk): archived with the policy's retention end
    const [call] = await placeRecordedCalls(request, token, BOB_NUMBER, 1);
    const res = await request.get(`${API}/conversations/${call.id}`, {
      headers: bearer(token),
    });
    expect(res.status()).toBe(200);
    const body = await res.json();
    const c = body.conversation ?? body;
    const until = new Date(c.retentionUntil);
    expect(
      until.getUTCFullYear() - new Date(c.startedAt).getUTCFullYear(),
    ).toBe(10);

    // its page says until when it is kept
    await page.goto(`/voice-recording/conversations/${call.id}`);
    await expect(page.getByTestId('retention-until')).toContainText(
      String(until.getFullYear()),
    );

    // Disposals: the next 30 days, and what a run now would do
    await page.goto('/voice-recording/compliance/disposals');
    await expect(page.getByTestId('upcoming-summary')).toContainText('due by');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect(page.getByTestId('dry-run-result')).toContainText(
      'a run now would dispose of',
    );
  } finally {
    await page.goto('/voice-recording/compliance/retention');
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: 'Delete policy' })
      .click();
    await expect(page.getByTestId('success-alert')).toContainText(
      `Policy ${name} deleted`,
    );
  }
});
