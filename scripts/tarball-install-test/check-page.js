/*
 * Browser check of the adopter portal (Debian's Chromium through Playwright, launched
 * as the repo's playwright.config.ts does): a signed-in user opens the voice-recording
 * page of the frontend feature installed from its tarball.
 *
 *   node check-page.js <playwright-core dir> <base url> <recorded number> <other party>
 *
 * Bob (a standard user, the number's owner) sees his number under My numbers and his
 * recorded call under Conversations; Alice (admin) gets the Numbers tab with the number.
 */
const [pwDir, baseUrl, recorded, other] = process.argv.slice(2);
const { chromium } = require(pwDir);

async function signedIn(browser, user) {
  const context = await browser.newContext({ baseURL: baseUrl });
  await context.addInitScript(
    u => window.localStorage.setItem('adopter-user', u),
    user,
  );
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  return { context, page, errors };
}

async function visible(page, locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible' });
  } catch (e) {
    const text = (
      await page
        .locator('body')
        .innerText()
        .catch(() => '')
    ).slice(0, 2000);
    throw new Error(
      `${what}: not visible at ${page.url()}\n--- page text ---\n${text}\n---\n${
        e.message
      }`,
    );
  }
  console.log(`  ok: ${what}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    // Bob, standard user
    {
      const { context, page } = await signedIn(browser, 'bob');
      await page.goto('/voice-recording');
      await visible(
        page,
        page.getByRole('tab', { name: 'My numbers' }),
        'bob: the voice-recording page with its My numbers tab',
      );
      await visible(
        page,
        page.getByTestId(`my-number-${recorded}`),
        `bob: his number ${recorded} under My numbers`,
      );
      if (
        (await page
          .getByRole('tab', { name: 'Numbers', exact: true })
          .count()) !== 0
      ) {
        throw new Error('bob: a standard user gets the admin Numbers tab');
      }
      await page.getByRole('tab', { name: 'Conversations' }).click();
      await visible(
        page,
        page.getByTestId(/^conversation-row-/).filter({ hasText: other }),
        `bob: his recorded call with ${other} under Conversations`,
      );
      await context.close();
    }
    // Alice, admin (compliance group)
    {
      const { context, page } = await signedIn(browser, 'alice');
      await page.goto('/voice-recording');
      await visible(
        page,
        page.getByRole('tab', { name: 'Numbers', exact: true }),
        'alice: the admin Numbers tab',
      );
      await visible(
        page,
        page.getByTestId(`number-row-${recorded}`),
        `alice: the number ${recorded} in the Numbers list`,
      );
      await context.close();
    }
  } finally {
    await browser.close();
  }
})().catch(error => {
  console.error(error.message || error);
  process.exit(1);
});
