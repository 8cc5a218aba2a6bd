import { APIRequestContext, Page, expect, test } from '@playwright/test';
import {
  ALICE_NUMBER,
  BOB_NUMBER,
  DemoUser,
  apiNumber,
  signIn,
  tokenOf,
} from './support';
import { bearer, listConversations } from './conversationSupport';
import { Found, overflowOf, print, violationsOf } from './accessibilitySupport';

/**
 * Accessibility: axe-core (`@axe-core/playwright`, all its rules) on every page of the
 * plugin, as the compliance officer (Alice, admin) and as a trader (Bob, standard user),
 * once each page shows its content. Serious and critical violations fail the test; all of
 * them are printed (rule, impact, elements, how to fix), for every page, when it fails.
 */

interface PageCheck {
  name: string;
  open: (page: Page) => Promise<void>;
}

/** The demo call of a number with the other party, once the demo calls are generated. */
async function demoCall(
  request: APIRequestContext,
  token: string,
  otherParty: string,
): Promise<string> {
  let id = '';
  await expect
    .poll(
      async () => {
        const list = await listConversations(request, token, {
          phone: otherParty,
        });
        id = list.items[0]?.id ?? '';
        return list.total;
      },
      {
        message: `demo call with ${otherParty} (espeak-ng and sox needed)`,
        timeout: 180_000,
      },
    )
    .toBe(1);
  return id;
}

/** The catalog entity of a recorded number, once the provider has registered it. */
async function entityTab(
  request: APIRequestContext,
  token: string,
  numberId: string,
): Promise<string> {
  const name = `mobile-${numberId}`;
  await expect
    .poll(
      async () =>
        (
          await request.get(
            `/api/catalog/entities/by-name/recordednumber/default/${name}`,
            { headers: bearer(token) },
          )
        ).status(),
      { timeout: 60_000 },
    )
    .toBe(200);
  return `/catalog/default/recordednumber/${name}/voice-recording`;
}

async function pagesOf(
  request: APIRequestContext,
  user: DemoUser,
): Promise<PageCheck[]> {
  const token = await tokenOf(request, user);
  const admin = user === 'alice';
  const own = await apiNumber(
    request,
    token,
    admin ? ALICE_NUMBER : BOB_NUMBER,
  );
  const bobs = admin ? await apiNumber(request, token, BOB_NUMBER) : own;
  // Bob's demo call with DTMF: Bob sees it, and so does Alice.
  const callId = await demoCall(request, token, '+33612345678');
  if (admin) {
    // an audited access, so that the audit page has an entry to show
    const res = await request.get(
      `/api/voice-recording/conversations/${callId}/download`,
      { headers: bearer(token) },
    );
    expect(res.status(), 'download of the demo call').toBe(200);
  }
  const entityUrl = await entityTab(request, token, own.id);

  const checks: PageCheck[] = [
    {
      name: 'numbers',
      open: async page => {
        await page.goto('/voice-recording/numbers');
        await expect(
          page.getByTestId(`number-row-${BOB_NUMBER}`),
        ).toBeVisible();
      },
    },
    {
      name: 'number detail',
      open: async page => {
        await page.goto(`/voice-recording/numbers/${bobs.id}`);
        await expect(page.getByTestId('number-title')).toHaveText(BOB_NUMBER);
        await expect(page.getByTestId('week-grid')).toBeVisible();
      },
    },
    {
      name: 'my numbers',
      open: async page => {
        await page.goto('/voice-recording/my-numbers');
        await expect(
          page.getByTestId(`my-number-${own.number}`).getByTestId('week-grid'),
        ).toBeVisible();
      },
    },
    {
      name: 'planning models',
      open: async page => {
        await page.goto('/voice-recording/planning-models');
        await expect(
          page.getByTestId('planning-model-row-Office hours'),
        ).toBeVisible();
      },
    },
    ...(admin
      ? [
          {
            name: 'bulk scheduling',
            open: async (page: Page) => {
              await page.goto('/voice-recording/bulk');
              await expect(page.getByLabel('CSV file')).toBeAttached();
              await expect(
                page.getByRole('button', { name: 'Download template' }),
              ).toBeVisible();
            },
          },
        ]
      : []),
    {
      name: 'conversations',
      open: async page => {
        await page.goto('/voice-recording/conversations');
        await expect(
          page.getByTestId(`conversation-row-${callId}`),
        ).toBeVisible();
      },
    },
    {
      name: 'call page',
      open: async page => {
        await page.goto(`/voice-recording/conversations/${callId}`);
        await expect(page.getByTestId('conversation-title')).toContainText(
          '+33612345678',
        );
        await expect(page.getByTestId('play-button')).toBeEnabled();
        await expect(page.getByTestId('waveform')).toBeVisible();
      },
    },
    ...(admin
      ? [
          {
            name: 'audit',
            open: async (page: Page) => {
              await page.goto('/voice-recording/audit');
              await expect(
                page
                  .getByTestId('audit-table')
                  .getByTestId(/^audit-row-/)
                  .first(),
              ).toBeVisible();
            },
          },
        ]
      : []),
    {
      name: 'catalog entity tab of a recorded number',
      open: async page => {
        await page.goto(entityUrl);
        await expect(page.getByTestId('number-title')).toHaveText(own.number);
        await expect(page.getByTestId('week-grid')).toBeVisible();
      },
    },
  ];
  return checks;
}

for (const user of ['alice', 'bob'] as const) {
  test(`every Voice recording page passes axe for ${
    user === 'alice' ? 'the compliance officer (Alice)' : 'a trader (Bob)'
  }: no serious or critical violation, no sideways scroll at 1280 or 1024 px`, async ({
    page,
    request,
  }) => {
    const checks = await pagesOf(request, user);
    await signIn(page, user);
    const found: Found[] = [];
    const tooWide: string[] = [];
    for (const check of checks) {
      await test.step(check.name, async () => {
        await check.open(page);
        found.push(...(await violationsOf(page, check.name)));
        tooWide.push(...(await overflowOf(page, check.name)));
      });
    }
    expect(tooWide, 'pages wider than the window').toEqual([]);
    // the message lists every violation of every page (rule, elements, how to fix)
    const report = print(user, found);
    expect(
      found.map(f => `${f.page}: ${f.rule} (${f.nodes.length})`),
      report,
    ).toEqual([]);
  });
}
