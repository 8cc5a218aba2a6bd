import { APIRequestContext, Locator, Page, expect } from '@playwright/test';

/**
 * Shared helpers of the browser tests. Everything goes through the real portal
 * (scripts/e2e-server.sh): the demo sign-in page, the app and the REST API; nothing
 * is mocked.
 */

/** Demo numbers (examples/voice-recording.yaml). */
export const BOB_NUMBER = '+32470123456';
export const BOB_FMU_NUMBER = '+32474567890';
export const CAROL_NUMBER = '+32471234567';
export const ALICE_NUMBER = '+32472345678';

/** Demo users (examples/org.yaml): erik is four-eyes, observed by the Observers group (dave). */
export type DemoUser = 'alice' | 'bob' | 'carol' | 'dave' | 'erik' | 'fiona';

const DISPLAY: Record<DemoUser, string> = {
  alice: 'Alice',
  bob: 'Bob',
  carol: 'Carol',
  dave: 'Dave',
  erik: 'Erik',
  fiona: 'Fiona',
};

/** A name that no earlier run (on a reused server) has taken. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Signs in through the demo sign-in page ("Sign in as Bob") and waits for the app shell. */
export async function signIn(page: Page, user: DemoUser) {
  await page.goto('/');
  await page
    .getByRole('button', { name: `Sign in as ${DISPLAY[user]}` })
    .click();
  await expect(sidebarLink(page, 'Voice recording')).toBeVisible();
}

export function sidebarLink(page: Page, name: string): Locator {
  return page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name, exact: true });
}

/** Opens Voice recording from the sidebar. */
export async function openVoiceRecording(page: Page) {
  await sidebarLink(page, 'Voice recording').click();
  await expect(
    page.getByRole('tablist', { name: 'Voice recording sections' }),
  ).toBeVisible();
}

export function sectionTab(page: Page, name: string): Locator {
  return page
    .getByRole('tablist', { name: 'Voice recording sections' })
    .getByRole('tab', { name, exact: true });
}

/** One block of the week grid, by its label ("Mon 08:00-18:00"). */
export function weekGridBlock(grid: Locator, label: string): Locator {
  return grid.locator(
    `[data-testid="week-grid-slot"][aria-label=${JSON.stringify(label)}]`,
  );
}

/** Blocks of the week grid, by their accessible names ("Mon 08:00-18:00"). */
export async function weekGridSlotLabels(grid: Locator): Promise<string[]> {
  const labels = await grid
    .getByTestId('week-grid-slot')
    .evaluateAll(els => els.map(e => e.getAttribute('aria-label') ?? ''));
  return labels.sort();
}

/** Expects the grid to show exactly these blocks (polled until it does). */
export async function expectWeekGrid(grid: Locator, expected: string[]) {
  await expect(grid).toBeVisible();
  await expect
    .poll(() => weekGridSlotLabels(grid), {
      message: 'blocks of the week grid',
    })
    .toEqual([...expected].sort());
}

/**
 * A user's Backstage token, from the same demo sign-in endpoint the sign-in page calls
 * (POST /api/auth/demo/refresh with the x-mvr-demo-user header).
 */
export async function tokenOf(
  request: APIRequestContext,
  user: DemoUser,
): Promise<string> {
  // A fresh portal answers 401 until the catalog has read the demo users (examples/org.yaml):
  // the first test of a run waits for that.
  const signInOnce = () =>
    request.post('/api/auth/demo/refresh', {
      headers: { 'x-mvr-demo-user': user },
    });
  await expect
    .poll(async () => (await signInOnce()).status(), {
      message: `demo sign-in of ${user} (is the user in the catalog?)`,
      timeout: 60_000,
    })
    .toBe(200);
  const res = await signInOnce();
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  const token = body?.backstageIdentity?.token;
  expect(typeof token).toBe('string');
  return token as string;
}

export interface ApiNumber {
  id: string;
  number: string;
  userRef: string;
  status: string;
  planningModel?: string;
  settings: Record<string, unknown>;
  slots: Array<{ weekdays: number[]; start: string; end: string }>;
}

/** GET /numbers/by-number/:number as the given user (throws on non-200). */
export async function apiNumber(
  request: APIRequestContext,
  token: string,
  number: string,
): Promise<ApiNumber> {
  const res = await request.get(
    `/api/voice-recording/numbers/by-number/${encodeURIComponent(number)}`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as ApiNumber;
}

const WEEKDAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The week-grid block labels of a schedule as the API returns it. */
export function gridLabelsOf(slots: ApiNumber['slots']): string[] {
  return slots.flatMap(s =>
    s.weekdays.map(d => `${WEEKDAY_NAMES[d]} ${s.start}-${s.end}`),
  );
}

/** Escapes a string for a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The trigger of a labelled Backstage UI / react-aria Select: a button named by its
 * value and then its label ("All actions Action").
 */
export function selectTrigger(scope: Page | Locator, label: string): Locator {
  return scope.getByRole('button', {
    name: new RegExp(`(^|\\s)${escapeRegExp(label)}$`),
  });
}

/**
 * Chooses an option of a labelled select: a Backstage UI / react-aria Select (its
 * trigger button, then the option of its listbox) or a native `<select>`.
 */
export async function chooseOption(
  scope: Page | Locator,
  label: string,
  option: string,
) {
  const trigger = selectTrigger(scope, label);
  if ((await trigger.count()) === 0) {
    await scope
      .getByRole('combobox', { name: label, exact: true })
      .selectOption({ label: option });
    return;
  }
  await trigger.click();
  const page = 'page' in scope ? scope.page() : scope;
  await page
    .getByRole('listbox')
    .getByRole('option', { name: option, exact: true })
    .click();
  await expect(page.getByRole('listbox')).toHaveCount(0);
}

/**
 * Types a time of day into a labelled time field (the slot editors' time picker: a
 * combobox that also takes typed times, tidied when the field is left; or a text field)
 * and leaves the field.
 */
export async function fillTime(
  scope: Page | Locator,
  label: string,
  value: string,
) {
  const field = scope
    .getByRole('combobox', { name: label, exact: true })
    .or(scope.getByRole('textbox', { name: label, exact: true }));
  await field.fill(value);
  await field.press('Tab');
  await expect(field).toHaveValue(value);
}

/**
 * Ticks (or unticks) a checkbox by clicking its label, as a person does: a Backstage UI
 * (react-aria) checkbox's `<input>` is visually hidden inside its `<label>`. `box` is the
 * checkbox (role `checkbox`) or its label (e.g. found by test id).
 */
export async function setChecked(box: Locator, checked = true) {
  const isLabel = await box.evaluate(el => el.tagName === 'LABEL');
  const input = isLabel ? box.locator('input') : box;
  if ((await input.isChecked()) === checked) return;
  await (isLabel ? box : box.locator('xpath=ancestor::label[1]')).click();
  if (checked) await expect(input).toBeChecked();
  else await expect(input).not.toBeChecked();
}
