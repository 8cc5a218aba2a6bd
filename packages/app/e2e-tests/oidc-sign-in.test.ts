import { Page, expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  CAROL_NUMBER,
  openVoiceRecording,
  sectionTab,
  sidebarLink,
} from './support';

/**
 * Production sign-in (project `chromium-production`): the portal started by
 * scripts/e2e-production-server.sh with NODE_ENV=production and
 * app-config.production.yaml, signing in through a real OpenID Connect provider
 * (packages/app/e2e-tests/oidc/testIdentityProvider.mjs, the `oidc-provider` package).
 * Users are resolved to catalog users by e-mail (examples/org.yaml); admins are the
 * members of voiceRecording.adminGroups. The demo sign-in does not exist.
 */

const IDP_ORIGIN = `http://127.0.0.1:${Number(
  process.env.MVR_E2E_OIDC_PORT ?? 7028,
)}`;

/** Accounts of the test OpenID provider (testIdentityProvider.mjs). */
const ACCOUNTS = {
  alice: { email: 'alice@acme-bank.example', password: 'alice-test-password' },
  carol: { email: 'carol@acme-bank.example', password: 'carol-test-password' },
  eve: { email: 'eve@elsewhere.example', password: 'eve-test-password' },
};

interface BackstageIdentity {
  userEntityRef: string;
  ownershipEntityRefs: string[];
}

/**
 * Clicks "Sign in" on the portal's sign-in page and logs in at the OpenID provider in
 * the popup it opens; returns when the popup has handed the result back and closed.
 */
async function signInAtProvider(
  page: Page,
  account: { email: string; password: string },
  options: { wrongPasswordFirst?: boolean } = {},
) {
  await page.goto('/');
  const card = page.getByText('Company account', { exact: true });
  await expect(card).toBeVisible();
  const popupOpened = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign In', exact: true }).click();
  const popup = await popupOpened;
  await expect(popup).toHaveURL(url =>
    url.href.startsWith(`${IDP_ORIGIN}/interaction/`),
  );
  if (options.wrongPasswordFirst) {
    await popup.getByLabel('Email').fill(account.email);
    await popup.getByLabel('Password').fill('not-the-password');
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await expect(popup.getByRole('alert')).toHaveText(
      'Wrong e-mail or password.',
    );
  }
  const closed = popup.waitForEvent('close');
  await popup.getByLabel('Email').fill(account.email);
  await popup.getByLabel('Password').fill(account.password);
  await popup.getByRole('button', { name: 'Sign in' }).click();
  await closed;
}

/** The signed-in user's Backstage identity, refreshed from the session cookie as the app does on a reload. */
async function backstageIdentity(page: Page): Promise<BackstageIdentity> {
  const body = await page.evaluate(async () => {
    const res = await fetch('/api/auth/oidc/refresh?optional&env=production', {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
      credentials: 'include',
    });
    return { status: res.status, json: await res.json() };
  });
  expect(body.status, JSON.stringify(body.json)).toBe(200);
  return body.json.backstageIdentity.identity;
}

test('production mode offers the company sign-in, and no demo sign-in', async ({
  page,
  request,
}) => {
  await page.goto('/');
  await expect(
    page.getByText('Company account', { exact: true }),
  ).toBeVisible();
  await expect(
    page.getByText('Sign in with your company account'),
  ).toBeVisible();
  await expect(
    page.getByRole('button', { name: 'Sign In', exact: true }),
  ).toBeVisible();
  // Neither the demo user picker nor the demo provider.
  await expect(page.getByRole('button', { name: /^Sign in as / })).toHaveCount(
    0,
  );
  await expect(page.getByText('Demo users')).toHaveCount(0);
  await expect(sidebarLink(page, 'Voice recording')).toHaveCount(0);
  const demo = await request.post('/api/auth/demo/refresh', {
    headers: { 'x-mvr-demo-user': 'alice' },
  });
  expect(demo.status()).toBe(404);
  // The API is closed without a sign-in.
  const numbers = await request.get('/api/voice-recording/numbers');
  expect(numbers.status()).toBe(401);
});

test('Alice (compliance) signs in with OpenID Connect and reaches the admin pages', async ({
  page,
}) => {
  await signInAtProvider(page, ACCOUNTS.alice, { wrongPasswordFirst: true });
  await expect(sidebarLink(page, 'Voice recording')).toBeVisible();

  // Resolved by e-mail to the catalog user, with her groups.
  const identity = await backstageIdentity(page);
  expect(identity.userEntityRef).toBe('user:default/alice');
  expect(identity.ownershipEntityRefs).toContain('group:default/compliance');

  // An admin: the numbers of everybody.
  await openVoiceRecording(page);
  await expect(sectionTab(page, 'Numbers')).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await expect(page.getByTestId(`number-row-${BOB_NUMBER}`)).toBeVisible();
  await expect(page.getByTestId(`number-row-${CAROL_NUMBER}`)).toBeVisible();

  // A reload keeps the session (refreshed at the provider), the admin pages too.
  await page.goto('/voice-recording/bulk');
  await expect(sectionTab(page, 'Bulk scheduling')).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await expect(page.getByLabel('CSV file')).toBeVisible();
});

test('Carol (trading) signs in with OpenID Connect and reaches My numbers, not the admin pages', async ({
  page,
}) => {
  await signInAtProvider(page, ACCOUNTS.carol);
  await expect(sidebarLink(page, 'Voice recording')).toBeVisible();

  const identity = await backstageIdentity(page);
  expect(identity.userEntityRef).toBe('user:default/carol');
  expect(identity.ownershipEntityRefs).toContain('group:default/trading');
  expect(identity.ownershipEntityRefs).not.toContain(
    'group:default/compliance',
  );

  await openVoiceRecording(page);
  await expect(page).toHaveURL(/\/voice-recording\/my-numbers$/);
  await expect(page.getByTestId(`my-number-${CAROL_NUMBER}`)).toBeVisible();
  await expect(page.getByTestId(`my-number-${BOB_NUMBER}`)).toHaveCount(0);
  for (const adminTab of ['Numbers', 'Bulk scheduling', 'Audit']) {
    await expect(sectionTab(page, adminTab)).toHaveCount(0);
  }

  // Typed in (a reload, the session refreshed): sent back to My numbers.
  await page.goto('/voice-recording/bulk');
  await expect(page).toHaveURL(/\/voice-recording\/my-numbers$/);
  await expect(page.getByTestId(`my-number-${CAROL_NUMBER}`)).toBeVisible();
  await expect(page.getByLabel('CSV file')).toHaveCount(0);
});

test('a provider account that is no catalog user cannot sign in', async ({
  page,
}) => {
  await signInAtProvider(page, ACCOUNTS.eve);
  // Still on the sign-in page, with the reason.
  await expect(
    page.getByText(/unable to resolve user identity/i),
  ).toBeVisible();
  await expect(
    page.getByRole('button', { name: 'Sign In', exact: true }),
  ).toBeVisible();
  await expect(sidebarLink(page, 'Voice recording')).toHaveCount(0);
});
