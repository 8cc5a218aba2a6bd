import { Page, expect, test } from '@playwright/test';
import {
  ALICE_NUMBER,
  BOB_NUMBER,
  apiNumber,
  chooseOption,
  expectWeekGrid,
  fillTime,
  gridLabelsOf,
  openVoiceRecording,
  sectionTab,
  setChecked,
  sidebarLink,
  signIn,
  tokenOf,
  uniqueSuffix,
  weekGridBlock,
} from './support';

/**
 * A compliance officer (Alice, group compliance) schedules recording: planning model
 * with a week grid, applied to one number, bulk CSV with a rejected and then an accepted
 * file, and the result on the number's catalog entity page.
 */

// The model created here: weekday office hours plus a Monday and Saturday evening slot.
const MODEL_GRID = [
  'Mon 07:30-17:30',
  'Tue 07:30-17:30',
  'Wed 07:30-17:30',
  'Thu 07:30-17:30',
  'Fri 07:30-17:30',
  'Mon 17:30-20:00',
  'Sat 17:30-20:00',
];

async function openNumber(page: Page, number: string) {
  await openVoiceRecording(page);
  await sectionTab(page, 'Numbers').click();
  await page.getByTestId(`number-row-${number}`).click();
  await expect(page.getByTestId('number-title')).toHaveText(number);
}

test('compliance officer schedules numbers with a planning model, one by one and in bulk', async ({
  page,
}) => {
  test.setTimeout(300_000); // one long journey of about twenty page loads
  const modelName = `E2E evening ${uniqueSuffix()}`;
  const missingModel = `No such model ${uniqueSuffix()}`;

  await test.step('sign in as Alice Martin (compliance)', async () => {
    await signIn(page, 'alice');
    await openVoiceRecording(page);
    // Admins land on Numbers.
    await expect(sectionTab(page, 'Numbers')).toHaveAttribute(
      'aria-selected',
      'true',
    );
    await expect(page.getByTestId(`number-row-${BOB_NUMBER}`)).toBeVisible();
  });

  await test.step('create a planning model; an overlapping slot is refused next to the slot', async () => {
    await sectionTab(page, 'Planning models').click();
    await page.getByRole('button', { name: 'New planning model' }).click();
    const editor = page.getByRole('form', { name: 'Planning model' });
    await expect(editor).toBeVisible();

    await editor
      .getByRole('textbox', { name: 'Name', exact: true })
      .fill(modelName);

    // Slot 1 starts as Mon-Fri 08:00-18:00: make it 07:30-17:30.
    await fillTime(editor, 'Start (slot 1)', '07:30');
    await fillTime(editor, 'End (slot 1)', '17:30');

    // Slot 2: Monday and Saturday 17:00-20:00, overlapping slot 1 on Monday.
    await editor.getByRole('button', { name: 'Add slot row' }).click();
    const slot2 = editor.getByTestId('slot-row-1');
    await expect(slot2).toBeVisible();
    const days2 = slot2.getByRole('group', { name: 'Weekdays (slot 2)' });
    await setChecked(days2.getByRole('checkbox', { name: 'Mon' }));
    await setChecked(days2.getByRole('checkbox', { name: 'Sat' }));
    await fillTime(slot2, 'Start (slot 2)', '17:00');
    await fillTime(slot2, 'End (slot 2)', '20:00');

    // The error is shown under slot 2 and names slot 1; the preview marks the block.
    const slot2Error = editor.getByTestId('slot-error-1');
    await expect(slot2Error).toBeVisible();
    await expect(slot2Error).toContainText(
      'slot Mon,Sat 17:00-20:00 overlaps slot Mon,Tue,Wed,Thu,Fri 07:30-17:30',
    );
    await expect(slot2Error).toContainText('(slot 1)');
    await expect(editor.getByTestId('slot-error-0')).toHaveCount(0);
    await expect(
      weekGridBlock(editor.getByTestId('week-grid'), 'Mon 17:00-20:00'),
    ).toHaveAttribute('data-error', 'true');

    // Saving is refused while the error stands, and nothing is created.
    await editor.getByRole('button', { name: 'Save planning model' }).click();
    await expect(
      editor.getByText('Fix the slot errors above before saving.'),
    ).toBeVisible();
    await expect(editor).toBeVisible();

    // Fix: start slot 2 when slot 1 ends.
    await fillTime(slot2, 'Start (slot 2)', '17:30');
    await expect(editor.getByTestId('slot-error-1')).toHaveCount(0);
    await expectWeekGrid(editor.getByTestId('week-grid'), MODEL_GRID);

    await editor.getByRole('button', { name: 'Save planning model' }).click();
    await expect(editor).toHaveCount(0);
    await expect(page.getByTestId('success-alert')).toHaveText(
      `Planning model ${modelName} saved`,
    );
    const row = page.getByTestId(`planning-model-row-${modelName}`);
    await expect(row).toBeVisible();
    await expect(row).toContainText(
      'Mon,Tue,Wed,Thu,Fri 07:30-17:30; Mon,Sat 17:30-20:00',
    );

    // It is stored: still listed after a reload.
    await page.reload();
    await expect(
      page.getByTestId(`planning-model-row-${modelName}`),
    ).toBeVisible();
  });

  await test.step(`apply the model to bob's ${BOB_NUMBER}; the week grid shows its slots`, async () => {
    await openNumber(page, BOB_NUMBER);
    await chooseOption(page, 'Planning model', modelName);
    await page.getByRole('button', { name: 'Apply planning model' }).click();
    await expect(page.getByTestId('success-alert')).toHaveText(
      'Planning model applied',
    );
    await expect(page.getByText(`Planning model: ${modelName}`)).toBeVisible();
    await expectWeekGrid(page.getByTestId('week-grid'), MODEL_GRID);

    // Persisted: the same after a reload.
    await page.reload();
    await expect(page.getByTestId('number-title')).toHaveText(BOB_NUMBER);
    await expect(page.getByText(`Planning model: ${modelName}`)).toBeVisible();
    await expectWeekGrid(page.getByTestId('week-grid'), MODEL_GRID);
  });

  // Alice's own number: moved to the new model by the bulk import.
  const header =
    'number,planning_model,status_mode,active_status,beep,sms,self_management';
  const goodRow = `${ALICE_NUMBER},${modelName},auto,professional,no,no,no`;
  // Bob's number as it is now (demo settings, model applied above): unchanged.
  const bobRowFixed = `${BOB_NUMBER},${modelName},auto,professional,yes,yes,no`;
  const bobRowWrong = `${BOB_NUMBER},${missingModel},auto,professional,yes,yes,no`;

  await test.step('bulk upload with an unknown planning model: every wrong row listed, nothing applied', async () => {
    // Alice's number as it is before (on a fresh server: "Extended" from the demo data).
    const before = await apiNumber(
      page.request,
      await tokenOf(page.request, 'alice'),
      ALICE_NUMBER,
    );
    expect(before.planningModel).not.toBe(modelName);

    await openVoiceRecording(page);
    await sectionTab(page, 'Bulk scheduling').click();
    await page.getByLabel('CSV file').setInputFiles({
      name: 'schedule-wrong.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${header}\n${goodRow}\n${bobRowWrong}\n`, 'utf8'),
    });
    await page.getByRole('button', { name: 'Upload' }).click();

    const table = page.getByTestId('bulk-error-table');
    await expect(table).toBeVisible();
    const rows = table.getByTestId('bulk-error-row');
    await expect(rows).toHaveCount(1);
    const cells = rows.first().getByRole('cell');
    await expect(cells.nth(0)).toHaveText('3'); // line in the file, header = 1
    await expect(cells.nth(1)).toHaveText(BOB_NUMBER);
    await expect(cells.nth(2)).toHaveText('planning_model');
    await expect(cells.nth(3)).toHaveText(
      `unknown planning model "${missingModel}"`,
    );
    await expect(page.getByTestId('error-alert')).toContainText(
      '1 line has errors; nothing was changed.',
    );
    await expect(page.getByTestId('bulk-import-summary')).toHaveCount(0);

    // The good row was not applied either: Alice's number is as it was.
    await openNumber(page, ALICE_NUMBER);
    await expect(
      page.getByText(`Planning model: ${before.planningModel}`, {
        exact: true,
      }),
    ).toBeVisible();
    await expect(page.getByText(`Planning model: ${modelName}`)).toHaveCount(0);
    await expectWeekGrid(
      page.getByTestId('week-grid'),
      gridLabelsOf(before.slots),
    );
  });

  await test.step('fixed CSV: the upload succeeds with a summary and is applied', async () => {
    await openVoiceRecording(page);
    await sectionTab(page, 'Bulk scheduling').click();
    await page.getByLabel('CSV file').setInputFiles({
      name: 'schedule-fixed.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${header}\n${goodRow}\n${bobRowFixed}\n`, 'utf8'),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect(page.getByTestId('bulk-import-summary')).toHaveText(
      'Imported from schedule-fixed.csv: 1 number(s) updated, 1 unchanged.',
    );
    await expect(page.getByTestId('bulk-error-table')).toHaveCount(0);
    await expect(page.getByTestId('error-alert')).toHaveCount(0);

    await openNumber(page, ALICE_NUMBER);
    await expect(page.getByText(`Planning model: ${modelName}`)).toBeVisible();
    await expectWeekGrid(page.getByTestId('week-grid'), MODEL_GRID);
    await expect(
      page.getByRole('checkbox', { name: 'Beep' }),
    ).not.toBeChecked();
  });

  await test.step(`catalog: the RecordedNumber entity of ${BOB_NUMBER} shows status and week grid`, async () => {
    // The catalog provider registers recorded numbers shortly after start-up (and on
    // change events): retry (reloading the catalog) until the number is listed.
    const numberLink = page.getByRole('link', {
      name: BOB_NUMBER,
      exact: true,
    });
    await expect(async () => {
      await sidebarLink(page, 'Catalog').click();
      await page.reload();
      await page
        .getByLabel('Kind', { exact: true })
        .getByRole('button')
        .click();
      await page
        .getByRole('option', { name: 'RecordedNumber', exact: true })
        .click();
      await page
        .getByRole('menu', { name: 'ACME Bank' })
        .getByRole('menuitem', { name: /^All/ })
        .click();
      await expect(numberLink).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 90_000 });
    await numberLink.click();
    await expect(page).toHaveURL(
      // named after the number's id in the voice-recording backend, not its digits
      /\/catalog\/default\/recordednumber\/mobile-[0-9a-f-]{36}$/,
    );
    await expect(
      page.getByRole('heading', { name: BOB_NUMBER, level: 2 }),
    ).toBeVisible();

    await page
      .getByRole('navigation', { name: 'Content navigation' })
      .getByRole('link', { name: 'Voice recording' })
      .click();
    await expect(page).toHaveURL(
      /\/recordednumber\/mobile-[0-9a-f-]{36}\/voice-recording$/,
    );
    await expect(page.getByTestId('number-title')).toHaveText(BOB_NUMBER);
    const badge = page.getByTestId('status-badge');
    await expect(badge).toBeVisible();
    // The status shown is the backend's status of the number right now.
    const aliceToken = await tokenOf(page.request, 'alice');
    await expect
      .poll(async () => {
        const api = await apiNumber(page.request, aliceToken, BOB_NUMBER);
        return (await badge.getAttribute('data-status')) === api.status;
      })
      .toBe(true);
    await expectWeekGrid(page.getByTestId('week-grid'), MODEL_GRID);
    await expect(
      page.getByRole('link', { name: 'Open in Voice recording' }),
    ).toBeVisible();
  });
});
