import { expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  openVoiceRecording,
  sectionTab,
  selectTrigger,
  signIn,
  tokenOf,
} from './support';
import { listConversations } from './conversationSupport';

/**
 * The readable audit trail: Alice plays a demo call; the call page's access history
 * shows it without a reload; the audit page tells it as a sentence with links
 * (Alice's catalog page, the call page) and its details as a table, never JSON.
 */
test('Alice plays a demo call: the access history shows it at once, the audit page reads as a sentence with links and a details table', async ({
  page,
  request,
}) => {
  const aliceToken = await tokenOf(request, 'alice');
  // The demo call with DTMF: Bob's incoming call from +33 6 12 34 56 78.
  const demo = await listConversations(request, aliceToken, {
    phone: '+33612345678',
  });
  expect(demo.total, 'demo conversation (espeak-ng and sox needed)').toBe(1);
  const call = demo.items[0];

  await signIn(page, 'alice');
  await page.goto(`/voice-recording/conversations/${call.id}`);
  await expect(page.getByTestId('conversation-title')).toContainText(
    '+33612345678',
  );
  const history = page.getByTestId('access-history');
  const plays = history
    .getByTestId('access-history-row')
    .filter({ hasText: 'Played' })
    .filter({ hasText: /Alice Martin|user:default\/alice/ });
  await expect(history).toBeVisible();
  const playsBefore = await plays.count();

  await expect(page.getByTestId('play-button')).toBeEnabled();
  await page.getByTestId('play-button').click();
  // the playback start is recorded, and the history re-fetched: no reload
  await expect(plays).toHaveCount(playsBefore + 1);
  await page.getByRole('button', { name: 'Pause' }).click();

  // The audit page: the playback of that call, as a sentence.
  await page.goto('/voice-recording');
  await openVoiceRecording(page);
  await sectionTab(page, 'Audit').click();
  const form = page.getByRole('form', { name: 'Filter audit trail' });
  // a grouped list (Numbers, Schedules, Conversations, Access, System, ...)
  await selectTrigger(form, 'Action').click();
  const actions = page.getByRole('listbox');
  await expect(
    actions.getByRole('group', { name: 'Conversations' }),
  ).toBeVisible();
  expect(await actions.getByRole('group').count()).toBeGreaterThanOrEqual(5);
  await actions
    .getByRole('group', { name: 'Conversations' })
    .getByRole('option', { name: 'Played', exact: true })
    .click();
  await expect(selectTrigger(form, 'Action')).toContainText('Played');
  await form.getByLabel('Target').fill(call.id);
  await form.getByRole('button', { name: 'Search', exact: true }).click();

  const rows = page.getByTestId('audit-table').getByTestId(/^audit-row-/);
  const row = rows
    .filter({ hasText: 'Alice Martin played conversation' })
    .first();
  const sentence = row.getByTestId('audit-sentence');
  await expect(sentence).toHaveText(
    new RegExp(
      `^Alice Martin played conversation \\+33612345678 → ${BOB_NUMBER.replace(
        '+',
        '\\+',
      )} \\(\\d+:\\d{2}\\) on \\d{1,2} [A-Z][a-z]{2}( \\d{4})? \\d{2}:\\d{2}$`,
    ),
  );
  const alice = sentence.getByRole('link', { name: 'Alice Martin' });
  await expect(alice).toHaveAttribute(
    'href',
    /\/catalog\/default\/user\/alice$/,
  );
  const conversationLink = sentence.getByRole('link', {
    name: /^\+33612345678 → /,
  });
  await expect(conversationLink).toHaveAttribute(
    'href',
    `/voice-recording/conversations/${call.id}`,
  );
  await expect(row).not.toContainText('{');

  // the details: a table, no JSON
  await row.getByRole('button', { name: 'Show details' }).click();
  const rowId = (await row.getAttribute('data-testid'))!.replace(
    'audit-row-',
    '',
  );
  const details = page.getByTestId(`audit-details-${rowId}`);
  const table = details.getByRole('table', { name: 'Details' });
  await expect(table).toBeVisible();
  await expect(
    table.getByRole('row').filter({ hasText: 'otherParty' }),
  ).toContainText('+33612345678');
  await expect(
    table.getByRole('row').filter({ hasText: 'format' }),
  ).toBeVisible();
  await expect(details).not.toContainText('{');

  // the conversation link opens the call page
  await conversationLink.click();
  await expect(page).toHaveURL(
    new RegExp(`/voice-recording/conversations/${call.id}$`),
  );
  await expect(page.getByTestId('conversation-title')).toContainText(
    '+33612345678',
  );
});
