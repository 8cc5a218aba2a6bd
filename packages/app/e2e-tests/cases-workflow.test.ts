import { Browser, Page, expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  DemoUser,
  chooseOption,
  selectTrigger,
  openVoiceRecording,
  sectionTab,
  signIn,
  tokenOf,
  uniqueSuffix,
} from './support';
import {
  audioState,
  clickPlayAndMeasure,
  listConversations,
  openConversationsTab,
  searchConversations,
  searchForm,
  shownConversationIds,
} from './conversationSupport';
import {
  DOCS_SCREENSHOTS,
  apiStatus,
  caseByTitle,
  docsScreenshot,
  expectChip,
  placeRecordedCalls,
} from './caseSupport';

/**
 * Cases and access requests end to end, with two signed-in users in their own browser
 * contexts: Alice (compliance, admin) creates a case with a new label and labels three
 * of Bob's calls (placed on the recorder for the test); Carol (a trader who does not own
 * them, so any access she gets comes from her request) asks to list and play them back;
 * Alice approves with a comment; Carol sees the decision, finds the calls by the case
 * and plays one; Alice revokes; Carol's list, the call and its audio are gone at once.
 */

const COLOUR = '#8e24aa';

async function signedIn(browser: Browser, user: DemoUser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user);
  await openVoiceRecording(page);
  return page;
}

function workflowsTab(page: Page, name: string) {
  return page
    .getByRole('tablist', { name: 'Workflows' })
    .getByRole('tab', { name, exact: true });
}

test('a case with a new label, three labelled calls; a trader requests access, the admin approves, the trader plays a call, the admin revokes and the calls are gone', async ({
  browser,
  request,
}) => {
  test.setTimeout(300_000);
  const aliceToken = await tokenOf(request, 'alice');
  const carolToken = await tokenOf(request, 'carol');
  // titles no earlier run has taken; the docs' pictures (taken on a fresh portal) read better without
  const suffix = DOCS_SCREENSHOTS ? 'complaint' : uniqueSuffix();
  const caseTitle = `Client Martin ${suffix}`;
  const labelTitle = DOCS_SCREENSHOTS ? 'Client Martin' : `Martin ${suffix}`;
  const comment = 'Approved for the review of the complaint';

  // Three fresh calls of Bob's; Carol sees none of them.
  const calls = await placeRecordedCalls(request, aliceToken, BOB_NUMBER, 3);
  for (const c of calls) {
    expect(await apiStatus(request, carolToken, `/conversations/${c.id}`)).toBe(
      404,
    );
  }

  const alice = await signedIn(browser, 'alice');
  const carol = await signedIn(browser, 'carol');

  let caseId = '';
  let labelId = '';
  await test.step('Alice creates the case with a new label (title and colour)', async () => {
    await sectionTab(alice, 'Cases').click();
    await expect(alice).toHaveURL(/\/voice-recording\/cases$/);
    await alice.getByRole('button', { name: 'New case', exact: true }).click();
    const dialog = alice.getByRole('dialog');
    await expect(
      dialog.getByRole('heading', { name: 'New case' }),
    ).toBeVisible();
    await dialog.getByRole('textbox', { name: /^Title/ }).fill(caseTitle);
    await dialog
      .getByRole('textbox', { name: 'Description' })
      .fill('Calls of the client with our traders about his complaint');
    // a new label (the demo's existing label belongs to the demo case)
    await dialog.getByText('New label', { exact: true }).click();
    await expect(
      dialog.getByRole('radio', { name: 'New label' }),
    ).toBeChecked();
    await dialog.getByRole('textbox', { name: 'Label title' }).fill(labelTitle);
    await dialog.getByLabel('Label colour').fill(COLOUR);
    // the preview chip in the chosen colour
    await expectChip(dialog, labelTitle, COLOUR);
    await docsScreenshot(alice, 'case-dialog');
    await dialog.getByRole('button', { name: 'Create case' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(alice.getByText(`Case ${caseTitle} created`)).toBeVisible();

    const created = await caseByTitle(request, aliceToken, caseTitle);
    caseId = created.id;
    labelId = created.label.id;
    expect(created.label).toMatchObject({ title: labelTitle, colour: COLOUR });
    const row = alice.getByTestId(`case-row-${caseId}`);
    await expect(row).toContainText(caseTitle);
    await expect(row).toContainText('Open');
    await expect(row).toContainText('List: None');
    await expectChip(row, labelTitle, COLOUR);
  });

  await test.step('Alice labels the three calls from their call pages ("Add to case")', async () => {
    for (const c of calls) {
      await alice.goto(`/voice-recording/conversations/${c.id}`);
      await expect(alice.getByTestId('conversation-title')).toContainText(
        c.otherParty,
      );
      // once the cases and the user's rights on them are known
      await expect(
        selectTrigger(alice, 'Case to add this call to'),
      ).toBeVisible();
      await chooseOption(alice, 'Case to add this call to', caseTitle);
      await alice.getByRole('button', { name: 'Add to case' }).click();
      await expect(alice.getByTestId('label-add-done')).toContainText(
        `Added to "${caseTitle}"`,
      );
      const labels = alice.getByRole('list', { name: 'Labels of this call' });
      await expectChip(labels, labelTitle, COLOUR);
      await expect(labels).toContainText(`Case: ${caseTitle}`);
    }
    const byCase = await listConversations(request, aliceToken, {
      case: caseId,
    });
    expect(byCase.items.map(c => c.id).sort()).toEqual(
      calls.map(c => c.id).sort(),
    );
  });

  await test.step('Alice finds them with the Label and the Case filters, chips in the list', async () => {
    await openConversationsTab(alice);
    await expect(selectTrigger(searchForm(alice), 'Case')).toBeVisible();
    for (const [field, option] of [
      ['Label', labelTitle],
      ['Case', caseTitle],
    ]) {
      await chooseOption(searchForm(alice), field, option);
      await searchConversations(alice, {});
      await expect(alice.getByTestId('conversations-total')).toHaveText(
        /^3 conversations\b/,
      );
      expect((await shownConversationIds(alice)).sort()).toEqual(
        calls.map(c => c.id).sort(),
      );
      await chooseOption(searchForm(alice), field, 'Any');
    }
    const row = alice.getByTestId(`conversation-row-${calls[0].id}`);
    await expectChip(row, labelTitle, COLOUR);
  });

  let requestId = '';
  await test.step('Carol requests access with a reason (Workflows → Request access)', async () => {
    // not hers: nothing of the case before a request
    expect(
      (await listConversations(request, carolToken, { case: caseId })).total,
    ).toBe(0);
    await sectionTab(carol, 'Workflows').click();
    await expect(workflowsTab(carol, 'Request access')).toHaveAttribute(
      'aria-selected',
      'true',
    );
    await expect(selectTrigger(carol, 'Case')).toBeVisible();
    await chooseOption(carol, 'Case', caseTitle);
    await carol
      .getByRole('textbox', { name: 'Reason' })
      .fill('The client disputes an order I took over from Bob');
    await expect(carol.getByRole('checkbox', { name: 'List' })).toBeChecked();
    await expect(
      carol.getByRole('checkbox', { name: 'Play back' }),
    ).toBeChecked();
    await expect(
      carol.getByRole('checkbox', { name: 'Add/remove label' }),
    ).not.toBeChecked();
    await docsScreenshot(carol, 'workflows-request');
    await carol.getByRole('button', { name: 'Request access' }).click();
    await expect(
      carol.getByText(`Request sent for ${caseTitle}`),
    ).toBeVisible();
    await workflowsTab(carol, 'My requests').click();
    const mine = carol
      .getByRole('grid', { name: 'My requests' })
      .or(carol.getByRole('table', { name: 'My requests' }))
      .getByRole('row')
      .filter({ hasText: caseTitle });
    await expect(mine).toHaveCount(1);
    await expect(mine).toContainText('Pending');
    requestId = ((await mine.getAttribute('data-testid')) ?? '').replace(
      'request-row-',
      '',
    );
    expect(requestId).not.toBe('');
    // still nothing while it waits
    expect(
      (await listConversations(request, carolToken, { case: caseId })).total,
    ).toBe(0);
  });

  await test.step('Alice approves with a comment (Workflows → Requests to approve)', async () => {
    await alice.goto('/voice-recording');
    await sectionTab(alice, 'Workflows').click();
    await workflowsTab(alice, 'Requests to approve').click();
    const row = alice.getByTestId(`request-row-${requestId}`);
    await expect(row).toContainText(caseTitle);
    await expect(row).toContainText('Carol');
    await expect(row).toContainText('The client disputes an order');
    await expect(row).toContainText('List, Play back');
    await docsScreenshot(alice, 'workflows-approve');

    // the request's own page (the notification's link): case, requester, recent requests
    await row.getByRole('link', { name: caseTitle }).click();
    await expect(alice).toHaveURL(
      new RegExp(`/voice-recording/workflows/requests/${requestId}$`),
    );
    await expect(
      alice.getByRole('heading', { name: `Access request for ${caseTitle}` }),
    ).toBeVisible();
    // the case beside the request, its label in its colour, and the requester's history
    await expectChip(alice, labelTitle, COLOUR);
    await expect(
      alice.getByText('Recent requests', { exact: true }),
    ).toBeVisible();
    await docsScreenshot(alice, 'request-page');
    await alice.goBack();

    await alice
      .getByTestId(`request-row-${requestId}`)
      .getByRole('button', { name: `Approve request for ${caseTitle}` })
      .click();
    const dialog = alice.getByRole('dialog');
    await expect(
      dialog.getByRole('heading', { name: 'Approve access request' }),
    ).toBeVisible();
    await dialog.getByRole('textbox', { name: /^Comment/ }).fill(comment);
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(
      alice.getByText(`Request for ${caseTitle} approved`),
    ).toBeVisible();
    await expect(alice.getByTestId(`request-row-${requestId}`)).toHaveCount(0);
  });

  const played = calls[1];
  await test.step('Carol sees the decision, finds the calls by their case and plays one', async () => {
    await carol.reload();
    const mine = carol.getByTestId(`request-row-${requestId}`);
    await expect(mine).toContainText('Approved');
    await expect(mine).toContainText(comment);
    await expect(mine).toContainText('Alice');

    await openConversationsTab(carol);
    await expect(selectTrigger(searchForm(carol), 'Case')).toBeVisible();
    await chooseOption(searchForm(carol), 'Case', caseTitle);
    await searchConversations(carol, {});
    await expect(carol.getByTestId('conversations-total')).toHaveText(
      /^3 conversations\b/,
    );
    expect((await shownConversationIds(carol)).sort()).toEqual(
      calls.map(c => c.id).sort(),
    );
    const row = carol.getByTestId(`conversation-row-${played.id}`);
    await expectChip(row, labelTitle, COLOUR);
    await row.getByText(played.otherParty).click();
    await expect(carol).toHaveURL(
      new RegExp(`/voice-recording/conversations/${played.id}$`),
    );
    const labels = carol.getByRole('list', { name: 'Labels of this call' });
    await expectChip(labels, labelTitle, COLOUR);
    // list and play back only: no right to take the call out of the case
    await expect(
      carol.getByRole('button', { name: /^Remove from case/ }),
    ).toHaveCount(0);
    await expect(carol.getByTestId('play-button')).toBeEnabled();
    await clickPlayAndMeasure(carol);
    await expect
      .poll(async () => (await audioState(carol)).currentTime, {
        message: "Carol's player plays the call",
      })
      .toBeGreaterThan(0.5);
    expect((await audioState(carol)).error).toBeUndefined();
    await carol.getByRole('button', { name: 'Pause', exact: true }).click();
    expect(
      await apiStatus(request, carolToken, `/conversations/${played.id}/audio`),
    ).toBe(200);
  });

  await test.step('Alice revokes the access (Workflows → All requests)', async () => {
    await workflowsTab(alice, 'All requests').click();
    const row = alice.getByTestId(`request-row-${requestId}`);
    await expect(row).toContainText('Approved');
    await row
      .getByRole('button', { name: `Revoke access for ${caseTitle}` })
      .click();
    const dialog = alice.getByRole('dialog');
    await expect(
      dialog.getByRole('heading', { name: 'Revoke access' }),
    ).toBeVisible();
    await dialog
      .getByRole('textbox', { name: /^Comment/ })
      .fill('Review finished');
    await dialog.getByRole('button', { name: 'Revoke access' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(
      alice.getByText(`Request for ${caseTitle} revoked`),
    ).toBeVisible();
    await expect(alice.getByTestId(`request-row-${requestId}`)).toContainText(
      'Revoked',
    );
  });

  await test.step("Carol's list no longer shows the calls; the call and its audio are 404", async () => {
    // the same search by case (kept in the page's URL), reloaded
    await carol.goto(`/voice-recording/conversations?case=${caseId}`);
    await expect(carol.getByTestId('conversations-total')).toHaveText(
      /^0 conversations\b/,
    );
    expect(await shownConversationIds(carol)).toEqual([]);
    // and by the other party's number
    await carol.goto('/voice-recording/conversations');
    await searchConversations(carol, { phone: played.otherParty });
    await expect(carol.getByTestId('conversations-total')).toHaveText(
      /^0 conversations\b/,
    );
    await carol.goto(`/voice-recording/conversations/${played.id}`);
    await expect(carol.getByTestId('play-button')).toHaveCount(0);
    for (const c of calls) {
      expect(
        await apiStatus(request, carolToken, `/conversations/${c.id}`),
      ).toBe(404);
      expect(
        await apiStatus(request, carolToken, `/conversations/${c.id}/audio`),
      ).toBe(404);
    }
    expect(
      (await listConversations(request, carolToken, { case: caseId })).total,
    ).toBe(0);
    expect(
      (await listConversations(request, carolToken, { label: labelId })).total,
    ).toBe(0);
    // her request says so
    await carol.goto('/voice-recording/workflows/my-requests');
    await expect(carol.getByTestId(`request-row-${requestId}`)).toContainText(
      'Revoked',
    );
  });
});
