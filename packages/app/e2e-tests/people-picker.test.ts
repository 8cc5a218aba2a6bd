import { APIRequestContext, Page, expect, test } from '@playwright/test';
import { openVoiceRecording, sectionTab, signIn, tokenOf } from './support';

/**
 * People, not ids: the compliance officer (Alice) registers a number and chooses its
 * owner by name from the catalog's people; the list shows the owner by name, linked
 * to her catalog page.
 */

/** A Belgian mobile number no earlier run (on a reused server) has taken. */
function freshNumber(): string {
  const digits = `${Date.now() % 1_000_000}`.padStart(6, '0');
  return `+32478${digits}`;
}

/** Deletes the number again (as Alice), so that Carol keeps only her demo number. */
async function deleteNumber(request: APIRequestContext, number: string) {
  const headers = {
    Authorization: `Bearer ${await tokenOf(request, 'alice')}`,
  };
  const found = await request.get(
    `/api/voice-recording/numbers/by-number/${encodeURIComponent(number)}`,
    { headers },
  );
  if (found.status() === 404) return;
  expect(found.status(), await found.text()).toBe(200);
  const { id } = (await found.json()) as { id: string };
  const deleted = await request.delete(
    `/api/voice-recording/numbers/${encodeURIComponent(id)}`,
    { headers },
  );
  expect(deleted.status(), await deleted.text()).toBe(204);
}

test('owner chosen by typing "Car" and picking Carol Dubois; the list links her name', async ({
  page,
  request,
}) => {
  const number = freshNumber();
  try {
    await ownerByName(page, number);
  } finally {
    await deleteNumber(request, number);
  }
});

async function ownerByName(page: Page, number: string) {
  await signIn(page, 'alice');
  await openVoiceRecording(page);
  await expect(sectionTab(page, 'Numbers')).toHaveAttribute(
    'aria-selected',
    'true',
  );

  await page.getByRole('button', { name: 'Add number' }).click();
  await page.getByRole('textbox', { name: 'Phone number' }).fill(number);
  await page.getByRole('combobox', { name: /^Owner/ }).pressSequentially('Car');
  const carol = page
    .getByRole('listbox')
    .getByRole('option')
    .filter({ hasText: 'Carol Dubois' });
  await expect(carol).toContainText('carol@acme-bank.example');
  // Only the catalog's people match "Car" (no other demo user does).
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await carol.click();
  await expect(page.getByRole('combobox', { name: /^Owner/ })).toHaveValue(
    'Carol Dubois',
  );
  await page.getByRole('button', { name: 'Create number' }).click();

  // The new number in the list, its owner by name, linked to her catalog page.
  await page.getByRole('textbox', { name: 'Search' }).fill(number);
  const row = page.getByTestId(`number-row-${number}`);
  await expect(row).toBeVisible();
  const owner = row.getByRole('link', { name: 'Carol Dubois' });
  await expect(owner).toHaveAttribute(
    'href',
    /\/catalog\/default\/user\/carol$/,
  );
  await expect(row.getByTestId('person-name')).toHaveAttribute(
    'title',
    'user:default/carol',
  );

  // The list's user filter takes a person too: Carol's numbers only.
  await page.getByRole('textbox', { name: 'Search' }).fill('');
  await page
    .getByRole('combobox', { name: 'User', exact: true })
    .pressSequentially('dubois');
  await page
    .getByRole('listbox')
    .getByRole('option')
    .filter({ hasText: 'Carol Dubois' })
    .click();
  await expect(row).toBeVisible();
  const owners = page.getByTestId('numbers-table').getByTestId('person-name');
  await expect
    .poll(async () => [
      ...new Set(
        await owners.evaluateAll(els => els.map(e => e.getAttribute('title'))),
      ),
    ])
    .toEqual(['user:default/carol']);

  // The name leads to her catalog page (not to the number).
  await owner.click();
  await expect(page).toHaveURL(/\/catalog\/default\/user\/carol$/);
  await expect(
    page.getByRole('heading', { name: /Carol Dubois/ }).first(),
  ).toBeVisible();
}

test('conversation search: the user filter suggests people; picking Carol Dubois shows her calls only', async ({
  page,
}) => {
  await signIn(page, 'alice');
  await openVoiceRecording(page);
  await sectionTab(page, 'Conversations').click();
  const form = page.getByRole('form', { name: 'Search conversations' });
  await form
    .getByRole('combobox', { name: 'User', exact: true })
    .pressSequentially('Dub');
  await page
    .getByRole('listbox')
    .getByRole('option')
    .filter({ hasText: 'Carol Dubois' })
    .click();
  await expect(
    form.getByRole('combobox', { name: 'User', exact: true }),
  ).toHaveValue('Carol Dubois');
  await form.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/[?&]user=user%3Adefault%2Fcarol\b/);

  const users = page
    .getByTestId('conversations-table')
    .getByTestId('person-name');
  await expect(users.first()).toBeVisible();
  await expect
    .poll(async () => [
      ...new Set(
        await users.evaluateAll(els => els.map(e => e.getAttribute('title'))),
      ),
    ])
    .toEqual(['user:default/carol']);
  await expect(users.first()).toHaveText('Carol Dubois');

  // A bookmark of this search shows her name again.
  await page.reload();
  await expect(
    form.getByRole('combobox', { name: 'User', exact: true }),
  ).toHaveValue('Carol Dubois');
});
