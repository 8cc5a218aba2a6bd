import path from 'node:path';
import { Browser, Page, expect, test } from '@playwright/test';

/**
 * The README screenshots, from the demo portal (docs/screenshots/server.sh: demo users,
 * demo numbers and generated demo calls). Writes docs/images/*.png.
 */
const IMAGES = path.resolve(__dirname, '../images');
const BOB_NUMBER = '+32470123456';

async function signedIn(
  browser: Browser,
  user: 'Alice' | 'Bob',
): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${user}` }).click();
  await expect(sidebarLink(page, 'Voice recording')).toBeVisible();
  return page;
}

function sidebarLink(page: Page, name: string) {
  return page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name, exact: true });
}

/** Bob's row in the admins' table of numbers. */
function bobRow(page: Page) {
  return page
    .getByRole('table', { name: 'Recorded numbers' })
    .getByRole('row', { name: new RegExp(`^\\${BOB_NUMBER} `) });
}

async function shot(page: Page, name: string) {
  // let charts, grids and fonts settle
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(IMAGES, `${name}.png`) });
}

test('README screenshots', async ({ browser }) => {
  const alice = await signedIn(browser, 'Alice');

  await test.step('numbers (admin)', async () => {
    await alice.goto('/voice-recording/numbers');
    await expect(bobRow(alice)).toBeVisible();
    await shot(alice, 'numbers');
  });

  await test.step('number detail with its week grid (admin)', async () => {
    await bobRow(alice).getByRole('cell').first().click();
    await expect(alice.getByTestId('week-grid')).toBeVisible();
    await shot(alice, 'number-detail');
  });

  await test.step('conversations and one conversation (admin)', async () => {
    // the demo calls are generated in the background after start-up
    await expect(async () => {
      await alice.goto('/voice-recording/conversations');
      await expect(alice.getByTestId(/^conversation-row-/).first()).toBeVisible(
        {
          timeout: 5_000,
        },
      );
    }).toPass({ timeout: 180_000 });
    await shot(alice, 'conversations');
    await alice
      .getByTestId(/^conversation-row-/)
      .first()
      .click();
    await expect(alice).toHaveURL(/\/voice-recording\/conversations\/[^/]+$/);
    await expect(alice.getByTestId('play-button')).toBeEnabled();
    await expect(alice.getByTestId('waveform')).toBeVisible();
    await shot(alice, 'conversation');
  });

  const bob = await signedIn(browser, 'Bob');

  await test.step('my numbers (standard user)', async () => {
    await bob.goto('/voice-recording/my-numbers');
    await expect(bob.getByTestId(`my-number-${BOB_NUMBER}`)).toBeVisible();
    await expect(
      bob.getByTestId(`my-number-${BOB_NUMBER}`).getByTestId('week-grid'),
    ).toBeVisible();
    await shot(bob, 'my-numbers');
  });

  await test.step('the recorded number in the catalog (its owner)', async () => {
    const numberLink = bob.getByRole('link', { name: BOB_NUMBER, exact: true });
    await expect(async () => {
      await sidebarLink(bob, 'Catalog').click();
      await bob.reload();
      await bob.getByLabel('Kind', { exact: true }).getByRole('button').click();
      await bob
        .getByRole('option', { name: 'RecordedNumber', exact: true })
        .click();
      await expect(numberLink).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 120_000 });
    await numberLink.click();
    await bob
      .getByRole('navigation', { name: 'Content navigation' })
      .getByRole('link', { name: 'Voice recording' })
      .click();
    await expect(bob.getByTestId('number-title')).toHaveText(BOB_NUMBER);
    await shot(bob, 'catalog-entity');
  });
});
