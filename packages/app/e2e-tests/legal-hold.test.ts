import { Browser, Page, expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  DemoUser,
  chooseOption,
  openVoiceRecording,
  sectionTab,
  signIn,
  tokenOf,
  uniqueSuffix,
} from './support';
import {
  bearer,
  listConversations,
  openConversationsTab,
  searchConversations,
  searchForm,
} from './conversationSupport';
import { placeRecordedCalls } from './caseSupport';
import { Found, overflowOf, print, violationsOf } from './accessibilitySupport';

/**
 * Legal hold end to end (docs/legal-hold.md), with two compliance officers in their own
 * browser contexts: Alice places a hold on a case from the Cases page; the case's call
 * shows the "Legal hold" badge in the conversation list and on its page, and its label
 * cannot be removed; Alice requests the release and cannot approve it herself (the
 * button is disabled and says why); Fiona, the second admin, approves; the call is no
 * longer held.
 */

const API = '/api/voice-recording';

async function signedIn(browser: Browser, user: DemoUser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user);
  await openVoiceRecording(page);
  return page;
}

test('an admin places a legal hold on a case from the portal, the call is marked held, a second admin approves the release the first requested', async ({
  browser,
  request,
}) => {
  test.setTimeout(300_000);
  const aliceToken = await tokenOf(request, 'alice');
  const suffix = uniqueSuffix();
  const caseTitle = `Litigation ${suffix}`;
  const reference = `HC-${suffix}`;

  // one fresh call of Bob's, in a new case (set up through the API)
  const [call] = await placeRecordedCalls(request, aliceToken, BOB_NUMBER, 1);
  const created = await request.post(`${API}/cases`, {
    headers: bearer(aliceToken),
    data: {
      title: caseTitle,
      description: 'Calls to preserve for the court',
      label: { title: `Lit ${suffix}`, colour: '#6a1b9a' },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id: caseId, label } = await created.json();
  const labelPath = `${API}/conversations/${call.id}/labels/${label.id}`;
  const put = await request.put(labelPath, { headers: bearer(aliceToken) });
  expect(put.status(), await put.text()).toBe(200);

  const alice = await signedIn(browser, 'alice');
  const fiona = await signedIn(browser, 'fiona');
  // axe (serious, critical) and sideways scroll of each new view, reported at the end
  const found: Found[] = [];
  const tooWide: string[] = [];
  const check = async (page: Page, name: string) => {
    found.push(...(await violationsOf(page, name)));
    tooWide.push(...(await overflowOf(page, name)));
  };

  await test.step('Alice places the hold from the case row on the Cases page', async () => {
    await sectionTab(alice, 'Cases').click();
    const row = alice.getByTestId(`case-row-${caseId}`);
    await row
      .getByRole('button', { name: `Place legal hold on ${caseTitle}` })
      .click();
    const dialog = alice.getByRole('dialog', {
      name: `Place a legal hold on ${caseTitle}`,
    });
    // its own errors first (nothing filled in)
    await dialog.getByRole('button', { name: 'Place hold' }).click();
    await expect(dialog).toContainText('A reason is required');
    await check(alice, 'place legal hold dialog');
    await dialog.getByRole('textbox', { name: /^Reference/ }).fill(reference);
    await dialog
      .getByRole('textbox', { name: /^Reason/ })
      .fill('Court order: preserve every call with the client');
    await dialog.getByRole('button', { name: 'Place hold' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(
      alice.getByText(
        `Legal hold ${reference} placed on ${caseTitle}: 1 conversation held`,
      ),
    ).toBeVisible();
    await expect(row.getByTestId('legal-hold-badge')).toHaveText(
      `Legal hold ${reference}`,
    );
    await expect(
      row.getByRole('button', { name: `Place legal hold on ${caseTitle}` }),
    ).toHaveCount(0);
  });

  await test.step('the call is marked held in the list and on its page; its label cannot be removed', async () => {
    await openConversationsTab(alice);
    await chooseOption(searchForm(alice), 'Case', caseTitle);
    await chooseOption(searchForm(alice), 'Legal hold', 'Under legal hold');
    await searchConversations(alice, {});
    await expect(alice).toHaveURL(/legalHold=true/);
    await expect(alice.getByTestId('conversations-total')).toHaveText(
      /^1 conversation\b/,
    );
    const row = alice.getByTestId(`conversation-row-${call.id}`);
    await expect(row.getByTestId('legal-hold-badge')).toHaveText(
      `Legal hold ${reference}`,
    );
    await alice.goto(`/voice-recording/conversations/${call.id}`);
    await expect(alice.getByTestId('conversation-title')).toContainText(
      call.otherParty,
    );
    await expect(alice.getByTestId('legal-hold-badge')).toHaveText(
      `Legal hold ${reference}`,
    );
    // no Remove button for the held label, but the reason
    const labels = alice.getByRole('list', { name: 'Labels of this call' });
    await expect(labels).toContainText(
      'Under legal hold: the label cannot be removed',
    );
    await expect(
      labels.getByRole('button', { name: `Remove from case ${caseTitle}` }),
    ).toHaveCount(0);
    const removal = await request.delete(labelPath, {
      headers: bearer(aliceToken),
    });
    expect(removal.status()).toBe(409);
    expect((await removal.json()).error.message).toContain(
      `under legal hold (reference ${reference})`,
    );
    const list = await listConversations(request, aliceToken, {
      case: caseId,
    });
    expect(list.items.map(c => [c.id, (c as any).legalHold])).toEqual([
      [call.id, true],
    ]);
  });

  await test.step('Alice requests the release; she cannot approve it herself', async () => {
    await alice.goto('/voice-recording/compliance/legal-holds');
    const row = alice.getByRole('row').filter({ hasText: reference });
    await expect(row).toContainText(caseTitle);
    await expect(row).toContainText('Active');
    await expect(row).toContainText('Alice Martin');
    await expect(row).toContainText('1 conversation');
    await check(alice, 'legal holds');
    await row
      .getByRole('button', { name: `Request release of ${reference}` })
      .click();
    const dialog = alice.getByRole('dialog');
    await dialog
      .getByRole('textbox', { name: /^Reason/ })
      .fill('The case was settled');
    await dialog.getByRole('button', { name: 'Request release' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(row).toContainText('Release requested');
    const approve = row.getByRole('button', {
      name: `Approve release of ${reference}`,
    });
    await expect(approve).toBeDisabled();
    await expect(row).toContainText(
      'You requested this release: another admin must approve it.',
    );
    await check(alice, 'legal holds, own release request');
    // and the API refuses her too
    const holdId = (
      (await row.getAttribute('data-testid')) ?? 'hold-row-'
    ).replace('hold-row-', '');
    const self = await request.post(
      `${API}/legal-holds/${holdId}/release-approve`,
      { headers: bearer(aliceToken), data: {} },
    );
    expect(self.status()).toBe(403);
  });

  await test.step('Fiona approves the release; the call is no longer held', async () => {
    await fiona.goto('/voice-recording/compliance/legal-holds');
    const row = fiona.getByRole('row').filter({ hasText: reference });
    await expect(row).toContainText('Release requested');
    await expect(row).toContainText('The case was settled');
    await row
      .getByRole('button', { name: `Approve release of ${reference}` })
      .click();
    const dialog = fiona.getByRole('dialog', {
      name: `Approve the release of ${reference}`,
    });
    await check(fiona, 'approve release dialog');
    await dialog.getByRole('button', { name: 'Approve release' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(
      fiona.getByText(`Legal hold ${reference} released`),
    ).toBeVisible();
    await expect(row).toContainText('Released');
    await expect(row).toContainText('Fiona Jacobs');
    await check(fiona, 'legal holds, released');

    const list = await listConversations(request, aliceToken, {
      case: caseId,
    });
    expect(list.items.map(c => (c as any).legalHold)).toEqual([false]);
    const removal = await request.delete(labelPath, {
      headers: bearer(aliceToken),
    });
    expect(removal.status(), await removal.text()).toBe(200);
  });

  await test.step('the views pass axe and do not scroll sideways', async () => {
    expect(tooWide, 'pages wider than the window').toEqual([]);
    expect(found.length ? print('legal hold', found) : '').toBe('');
  });
});
