import path from 'node:path';
import {
  APIRequestContext,
  Browser,
  Page,
  expect,
  test,
} from '@playwright/test';

/**
 * The documentation's screenshots, from the demo portal (docs/screenshots/server.sh:
 * demo users, demo numbers and generated demo calls): every page of the plugin in the
 * light theme (docs/images/<page>.png) and in the dark theme (docs/images/<page>-dark.png),
 * listed in docs/pages.md.
 *
 * The theme is the app's own setting (Settings → Appearance → Theme): Backstage's app
 * theme API keeps the chosen theme id (`light` / `dark`) in localStorage under `theme`,
 * and the active theme sets `data-theme-mode` on <body>, which Backstage UI's styles
 * follow. Each theme gets its own browser contexts with that key set before the app loads.
 */
const IMAGES = path.resolve(__dirname, '../images');
const BOB_NUMBER = '+32470123456';
/** The demo's silent number (Alice's): its silent-number alarm is raised at startup. */
const SILENT_NUMBER = '+32472345678';
const DEMO_CALL_OTHER_PARTY = '+33612345678';

type Theme = 'light' | 'dark';
type User = 'alice' | 'bob';

async function signedIn(
  browser: Browser,
  user: User,
  theme: Theme,
): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript(id => {
    window.localStorage.setItem('theme', id);
  }, theme);
  const page = await context.newPage();
  await page.goto('/');
  await page
    .getByRole('button', {
      name: `Sign in as ${user === 'alice' ? 'Alice' : 'Bob'}`,
    })
    .click();
  await expect(sidebarLink(page, 'Voice recording')).toBeVisible();
  await expect(page.locator('body')).toHaveAttribute('data-theme-mode', theme);
  return page;
}

function sidebarLink(page: Page, name: string) {
  return page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name, exact: true });
}

async function shot(page: Page, name: string, theme: Theme) {
  // let charts, grids, people's names and fonts settle
  await page.waitForLoadState('networkidle');
  await expect(page.locator('body')).toHaveAttribute('data-theme-mode', theme);
  await page.screenshot({
    path: path.join(IMAGES, `${name}${theme === 'dark' ? '-dark' : ''}.png`),
  });
}

async function tokenOf(request: APIRequestContext, user: User) {
  const res = await request.post('/api/auth/demo/refresh', {
    headers: { 'x-mvr-demo-user': user },
  });
  expect(res.status()).toBe(200);
  return (await res.json()).backstageIdentity.token as string;
}

interface Demo {
  bobNumberId: string;
  callId: string;
}

/** Ids of the demo data, once the demo calls exist and the catalog has Bob's number. */
async function demoData(request: APIRequestContext): Promise<Demo> {
  const headers = {
    Authorization: `Bearer ${await tokenOf(request, 'alice')}`,
  };
  const number = await request.get(
    `/api/voice-recording/numbers/by-number/${encodeURIComponent(BOB_NUMBER)}`,
    { headers },
  );
  expect(number.status()).toBe(200);
  const bobNumberId = (await number.json()).id as string;
  // the demo calls are generated in the background after start-up
  let callId = '';
  await expect
    .poll(
      async () => {
        const res = await request.get(
          `/api/voice-recording/conversations?phone=${encodeURIComponent(
            DEMO_CALL_OTHER_PARTY,
          )}`,
          { headers },
        );
        callId = (await res.json()).items?.[0]?.id ?? '';
        return callId;
      },
      { timeout: 180_000, message: 'demo calls (espeak-ng and sox needed)' },
    )
    .not.toBe('');
  // an access to show on the audit page and in the call's access history
  const download = await request.get(
    `/api/voice-recording/conversations/${callId}/download`,
    { headers },
  );
  expect(download.status()).toBe(200);
  await expect
    .poll(
      async () =>
        (
          await request.get(
            `/api/catalog/entities/by-name/recordednumber/default/mobile-${bobNumberId}`,
            { headers },
          )
        ).status(),
      { timeout: 120_000 },
    )
    .toBe(200);
  return { bobNumberId, callId };
}

async function allPages(browser: Browser, demo: Demo, theme: Theme) {
  const alice = await signedIn(browser, 'alice', theme);

  await test.step(`${theme}: numbers (admin)`, async () => {
    await alice.goto('/voice-recording/numbers');
    await expect(alice.getByTestId(`number-row-${BOB_NUMBER}`)).toBeVisible();
    await shot(alice, 'numbers', theme);
  });

  await test.step(`${theme}: number detail with its week grid (admin)`, async () => {
    await alice.goto(`/voice-recording/numbers/${demo.bobNumberId}`);
    await expect(alice.getByTestId('number-title')).toHaveText(BOB_NUMBER);
    await expect(alice.getByTestId('week-grid')).toBeVisible();
    await shot(alice, 'number-detail', theme);
  });

  await test.step(`${theme}: planning models (admin)`, async () => {
    await alice.goto('/voice-recording/planning-models');
    await expect(
      alice.getByTestId('planning-model-row-Office hours'),
    ).toBeVisible();
    await shot(alice, 'planning-models', theme);
  });

  await test.step(`${theme}: bulk scheduling (admin)`, async () => {
    await alice.goto('/voice-recording/bulk');
    await expect(
      alice.getByRole('button', { name: 'Download template' }),
    ).toBeVisible();
    await shot(alice, 'bulk-scheduling', theme);
  });

  await test.step(`${theme}: conversations and one conversation (admin)`, async () => {
    await alice.goto('/voice-recording/conversations');
    await expect(
      alice.getByTestId(`conversation-row-${demo.callId}`),
    ).toBeVisible();
    await shot(alice, 'conversations', theme);
    await alice.goto(`/voice-recording/conversations/${demo.callId}`);
    await expect(alice.getByTestId('play-button')).toBeEnabled();
    await expect(alice.getByTestId('waveform')).toBeVisible();
    await shot(alice, 'conversation', theme);
  });

  await test.step(`${theme}: audit (admin)`, async () => {
    await alice.goto('/voice-recording/audit');
    await expect(
      alice
        .getByTestId('audit-table')
        .getByTestId(/^audit-row-/)
        .first(),
    ).toBeVisible();
    await shot(alice, 'audit', theme);
  });
  await alice.context().close();

  const bob = await signedIn(browser, 'bob', theme);

  await test.step(`${theme}: my numbers (standard user)`, async () => {
    await bob.goto('/voice-recording/my-numbers');
    const card = bob.getByTestId(`my-number-${BOB_NUMBER}`);
    await expect(card.getByTestId('week-grid')).toBeVisible();
    await shot(bob, 'my-numbers', theme);
  });

  await test.step(`${theme}: the recorded number in the catalog (its owner)`, async () => {
    await bob.goto(
      `/catalog/default/recordednumber/mobile-${demo.bobNumberId}/voice-recording`,
    );
    await expect(bob.getByTestId('number-title')).toHaveText(BOB_NUMBER);
    await expect(bob.getByTestId('week-grid')).toBeVisible();
    await shot(bob, 'catalog-entity', theme);
  });
  await bob.context().close();
}

test('documentation screenshots: every page, light and dark', async ({
  browser,
  request,
}) => {
  const demo = await demoData(request);
  await allPages(browser, demo, 'light');
  await allPages(browser, demo, 'dark');
});

/**
 * Recording health (admins): the overview with the demo's silent number first, and that
 * number's view with its open alarm. Its own test, so that it can be taken alone:
 * `bash scripts/screenshots.sh --grep "Recording health"`.
 */
test('documentation screenshots: Recording health, light and dark', async ({
  browser,
}) => {
  for (const theme of ['light', 'dark'] as const) {
    const alice = await signedIn(browser, 'alice', theme);
    await test.step(`${theme}: Recording health (admin)`, async () => {
      await alice.goto('/voice-recording/health');
      // the alarm evaluation at startup raises the silent number's alarm
      await expect
        .poll(
          async () => {
            await alice.reload();
            const first = alice
              .getByTestId('coverage-table')
              .locator('tbody tr')
              .first();
            await first.waitFor();
            return first.getAttribute('data-testid');
          },
          { timeout: 120_000 },
        )
        .toBe(`coverage-row-${SILENT_NUMBER}`);
      // and the coverage job has summed the expected time (it runs after startup)
      await expect
        .poll(
          async () => {
            await alice.reload();
            return alice.getByTestId('figure-expected').textContent();
          },
          { timeout: 120_000 },
        )
        .not.toMatch(/time0 h$/);
      await shot(alice, 'health', theme);
    });
    await test.step(`${theme}: a number's recording health (admin)`, async () => {
      await alice.getByRole('link', { name: SILENT_NUMBER }).click();
      await expect(alice.getByTestId('health-number-title')).toHaveText(
        SILENT_NUMBER,
      );
      await expect(alice.getByTestId('days-table')).toBeVisible();
      // the pointer off the tabs (their hover indicator) and the links
      await alice.mouse.move(0, 0);
      await shot(alice, 'health-number', theme);
    });
    await alice.context().close();
  }
});
