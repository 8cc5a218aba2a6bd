import { expect, test } from '@playwright/test';
import { openVoiceRecording, sectionTab, signIn } from './support';

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

test('owner chosen by typing "Car" and picking Carol Dubois; the list links her name', async ({
  page,
}) => {
  const number = freshNumber();
  await signIn(page, 'alice');
  await openVoiceRecording(page);
  await expect(sectionTab(page, 'Numbers')).toHaveAttribute(
    'aria-selected',
    'true',
  );

  await page.getByRole('button', { name: 'Add number' }).click();
  await page.getByRole('textbox', { name: 'Phone number' }).fill(number);
  await page.getByRole('textbox', { name: /^Owner/ }).pressSequentially('Car');
  const carol = page
    .getByRole('listbox')
    .getByRole('option')
    .filter({ hasText: 'Carol Dubois' });
  await expect(carol).toContainText('carol@acme-bank.example');
  // Only the catalog's people match "Car" (no other demo user does).
  await expect(page.getByRole('listbox').getByRole('option')).toHaveCount(1);
  await carol.click();
  await expect(page.getByRole('textbox', { name: /^Owner/ })).toHaveValue(
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
  await page.getByRole('textbox', { name: 'User' }).pressSequentially('dubois');
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
});
