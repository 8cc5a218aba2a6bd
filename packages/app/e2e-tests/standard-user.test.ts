import { Page, expect, test } from '@playwright/test';
import {
  BOB_FMU_NUMBER,
  BOB_NUMBER,
  CAROL_NUMBER,
  apiNumber,
  openVoiceRecording,
  sectionTab,
  setChecked,
  signIn,
  tokenOf,
} from './support';

/**
 * Standard users (Bob and Carol, group trading): they see their own numbers only,
 * no admin sections or actions, and Carol switches her self-managed number's
 * professional mode.
 */

const ADMIN_BUTTONS = [
  'New planning model',
  'Add number',
  'Save settings',
  'Add slot',
  'Apply planning model',
  'Upload',
  'Download template',
  'Export current configuration',
];

async function expectNoAdminButtons(page: Page) {
  for (const name of ADMIN_BUTTONS) {
    await expect(
      page.getByRole('button', { name, exact: true }),
      `no "${name}" button for a standard user`,
    ).toHaveCount(0);
  }
}

test('Bob lands on My numbers, sees his own numbers and whether they are recorded now', async ({
  page,
  request,
}) => {
  await signIn(page, 'bob');
  await openVoiceRecording(page);

  await expect(page).toHaveURL(/\/voice-recording\/my-numbers$/);
  await expect(sectionTab(page, 'My numbers')).toHaveAttribute(
    'aria-selected',
    'true',
  );
  // His sections; none of the admin ones (other sections may be added over time).
  await expect(sectionTab(page, 'Planning models')).toBeVisible();
  for (const adminTab of ['Numbers', 'Bulk scheduling', 'Audit']) {
    await expect(sectionTab(page, adminTab)).toHaveCount(0);
  }

  // His two numbers, nobody else's.
  const main = page.getByTestId(`my-number-${BOB_NUMBER}`);
  const fmu = page.getByTestId(`my-number-${BOB_FMU_NUMBER}`);
  await expect(main).toBeVisible();
  await expect(fmu).toBeVisible();
  await expect(page.getByTestId(/^my-number-/)).toHaveCount(2);
  await expect(page.getByText(CAROL_NUMBER)).toHaveCount(0);

  // "Being recorded now" agrees with the backend's status of the number at this moment
  // (office hours in Europe/Brussels: the answer depends on when the test runs).
  const bobToken = await tokenOf(request, 'bob');
  await expect
    .poll(async () => {
      const api = await apiNumber(request, bobToken, BOB_NUMBER);
      const badge = await main
        .getByTestId('status-badge')
        .getAttribute('data-status');
      const text =
        (await main.getByTestId('recording-now').textContent()) ?? '';
      const expected = `Being recorded now: ${
        api.status === 'recording' ? 'Yes' : 'No'
      }`;
      return badge === api.status && text.startsWith(expected);
    })
    .toBe(true);
  await expect(main.getByTestId('week-grid')).toBeVisible();

  // The FMU extension is never recorded by MVR, whatever the time: the reason is given.
  await expect(fmu.getByTestId('status-badge')).toHaveAttribute(
    'data-status',
    'inactive',
  );
  await expect(fmu.getByTestId('recording-now')).toHaveText(
    'Being recorded now: No (an FMU number cannot be recorded)',
  );

  // Neither number is self-managed: no professional-mode switch.
  await expect(
    page.getByRole('checkbox', { name: 'Professional mode' }),
  ).toHaveCount(0);
  await expectNoAdminButtons(page);

  // Planning models: readable, not manageable.
  await sectionTab(page, 'Planning models').click();
  await expect(
    page.getByTestId('planning-model-row-Office hours'),
  ).toBeVisible();
  await expect(
    page.getByRole('button', { name: /^(Edit|Delete) / }),
  ).toHaveCount(0);
  await expectNoAdminButtons(page);
});

test('Bob has no admin sections, even by typing their URLs', async ({
  page,
}) => {
  await signIn(page, 'bob');

  // Bulk scheduling is not routed for him: he is sent to My numbers.
  await page.goto('/voice-recording/bulk');
  await expect(page).toHaveURL(/\/voice-recording\/my-numbers$/);
  await expect(page.getByLabel('CSV file')).toHaveCount(0);
  await expect(page.getByTestId(`my-number-${BOB_NUMBER}`)).toBeVisible();
  await expect(sectionTab(page, 'Numbers')).toHaveCount(0);
  await expect(sectionTab(page, 'Bulk scheduling')).toHaveCount(0);

  // The numbers list, typed in, lists his own numbers only (filtered by the backend).
  await page.goto('/voice-recording/numbers');
  await expect(page.getByTestId(`number-row-${BOB_NUMBER}`)).toBeVisible();
  await expect(page.getByTestId(/^number-row-/)).toHaveCount(2);
  await expect(page.getByTestId(`number-row-${CAROL_NUMBER}`)).toHaveCount(0);
  await expect(page.getByText(CAROL_NUMBER)).toHaveCount(0);
  await expectNoAdminButtons(page);

  // His own number's page is read-only.
  await page.getByTestId(`number-row-${BOB_NUMBER}`).click();
  await expect(page.getByTestId('number-title')).toHaveText(BOB_NUMBER);
  await expect(page.getByTestId('week-grid')).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Beep' })).toBeDisabled();
  await expect(page.getByRole('button', { name: /^Delete slot / })).toHaveCount(
    0,
  );
  await expectNoAdminButtons(page);
});

test("Bob cannot open Carol's number, neither in Voice recording nor in the catalog", async ({
  page,
  request,
}) => {
  // Carol's number id, as an admin sees it (Bob could also read it from a link).
  const carol = await apiNumber(
    request,
    await tokenOf(request, 'alice'),
    CAROL_NUMBER,
  );

  await signIn(page, 'bob');
  await page.goto(`/voice-recording/numbers/${carol.id}`);
  await expect(page.getByTestId('number-not-visible')).toHaveText(
    'This is not a recorded number you can see.',
  );
  await expect(page.getByTestId('number-title')).toHaveCount(0);
  await expect(page.getByTestId('week-grid')).toHaveCount(0);
  await expect(page.getByText(CAROL_NUMBER)).toHaveCount(0);

  // The catalog: the RecordedNumber entity (named after the number's id, not its
  // digits) exists (the admin sees it once the provider has registered it) but the
  // catalog never returns it to Bob, in its API or its pages, while Bob still gets
  // his own number's entity.
  const aliceToken = await tokenOf(request, 'alice');
  const bobToken = await tokenOf(request, 'bob');
  const bobOwn = await apiNumber(request, bobToken, BOB_NUMBER);
  const entityPath = `/api/catalog/entities/by-name/recordednumber/default/mobile-${carol.id}`;
  const bobOwnPath = `/api/catalog/entities/by-name/recordednumber/default/mobile-${bobOwn.id}`;
  const status = async (path: string, token: string) =>
    (
      await request.get(path, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).status();
  await expect
    .poll(() => status(entityPath, aliceToken), { timeout: 60_000 })
    .toBe(200);
  expect(await status(entityPath, bobToken)).toBe(404);
  await expect
    .poll(() => status(bobOwnPath, bobToken), { timeout: 60_000 })
    .toBe(200);

  await page.goto(
    `/catalog/default/recordednumber/mobile-${carol.id}/voice-recording`,
  );
  await expect(page.getByText(/not found/i).first()).toBeVisible();
  await expect(page.getByTestId('status-badge')).toHaveCount(0);
  await expect(page.getByTestId('week-grid')).toHaveCount(0);
});

test('Carol switches professional mode of her self-managed number, and it persists', async ({
  page,
  request,
}) => {
  await signIn(page, 'carol');
  await openVoiceRecording(page);
  const card = page.getByTestId(`my-number-${CAROL_NUMBER}`);
  await expect(card).toBeVisible();
  await expect(page.getByTestId(/^my-number-/)).toHaveCount(1);

  const toggle = card.getByRole('checkbox', { name: 'Professional mode' });
  const carolToken = await tokenOf(request, 'carol');

  // Self-managed numbers are Manual: professional = recorded now, private = not,
  // independent of the time of day.
  const expectState = async (professional: boolean) => {
    if (professional) await expect(toggle).toBeChecked();
    else await expect(toggle).not.toBeChecked();
    await expect(card.getByTestId('status-badge')).toHaveAttribute(
      'data-status',
      professional ? 'recording' : 'private',
    );
    await expect(card.getByTestId('recording-now')).toContainText(
      `Being recorded now: ${professional ? 'Yes' : 'No'}`,
    );
    const api = await apiNumber(request, carolToken, CAROL_NUMBER);
    expect(api.settings).toMatchObject({
      statusMode: 'manual',
      activeStatus: professional ? 'professional' : 'private',
      selfManaged: true,
    });
  };

  // Start from whatever state the number is in (another run may have left it either way).
  await expect(toggle).toBeEnabled();
  const initial = await toggle.isChecked();

  for (const next of [!initial, initial]) {
    await setChecked(toggle, !(await toggle.isChecked()));
    await expectState(next);
    await page.reload();
    await expect(card).toBeVisible();
    await expectState(next);
  }
});
