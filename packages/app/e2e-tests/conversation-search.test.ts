import { readFile } from 'node:fs/promises';
import { Page, expect, test } from '@playwright/test';
import { openVoiceRecording, setChecked, signIn, tokenOf } from './support';
import {
  listConversations,
  openConversationsTab,
  readZip,
  searchForm,
  shownConversationIds,
} from './conversationSupport';

/**
 * Conversation search by people (issue 16): the user filter takes a name (resolved in
 * the catalog by the backend), the group filter a team; the search is kept in the URL
 * (a reload restores it); ticked calls are exported, exactly those. On the demo data
 * (examples/org.yaml: bob and carol are in trading; demo calls of their numbers).
 */

async function search(page: Page, fields: { user?: string; group?: string }) {
  const form = searchForm(page);
  for (const [label, value] of [
    ['User', fields.user],
    ['Group', fields.group],
  ] as const) {
    if (value === undefined) continue;
    const field = form.getByRole('combobox', { name: label, exact: true });
    await field.fill(value);
    // close its suggestions, keeping the typed text (while open they hide the rest
    // of the page from assistive technology)
    if ((await field.getAttribute('aria-expanded')) === 'true') {
      await field.press('Escape');
    }
    await expect(field).toHaveAttribute('aria-expanded', 'false');
    await expect(field).toHaveValue(value);
  }
  await form.getByRole('button', { name: 'Search', exact: true }).click();
}

const totalOf = (n: number) => new RegExp(`^${n} conversations?\\b`);

test('Alice finds Carol\'s calls by "carol", a team\'s by group; the URL restores the search; ticked calls are exported, exactly those', async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const aliceToken = await tokenOf(request, 'alice');
  const ofUser = async (name: string) =>
    (
      await listConversations(request, aliceToken, {
        userRef: `user:default/${name}`,
        limit: 500,
      })
    ).items.map(c => c.id);
  const carols = await ofUser('carol');
  const bobs = await ofUser('bob');
  // the team's other trader in the demo org (erik, four-eyes) has calls too
  const eriks = await ofUser('erik');
  expect(carols.length).toBeGreaterThan(0);
  expect(bobs.length).toBeGreaterThan(0);

  await signIn(page, 'alice');
  await openVoiceRecording(page);
  await openConversationsTab(page);

  // "carol": her calls, and only hers
  await search(page, { user: 'carol' });
  await expect(page).toHaveURL(/[?&]user=carol\b/);
  await expect(page.getByTestId('conversations-total')).toHaveText(
    totalOf(carols.length),
  );
  expect((await shownConversationIds(page)).sort()).toEqual(
    [...carols].sort().slice(0, 50),
  );

  // the display name works too; a reload (or a bookmark) restores the search
  await search(page, { user: 'Carol Dubois' });
  await expect(page).toHaveURL(/[?&]user=Carol(\+|%20)Dubois\b/);
  await page.reload();
  await expect(
    searchForm(page).getByRole('combobox', { name: 'User', exact: true }),
  ).toHaveValue('Carol Dubois');
  await expect(page.getByTestId('conversations-total')).toHaveText(
    totalOf(carols.length),
  );

  // group "trading": bob's, carol's and erik's calls
  await search(page, { user: '', group: 'trading' });
  await expect(page).toHaveURL(/[?&]group=trading\b/);
  await expect(page).not.toHaveURL(/[?&]user=/);
  await expect(page.getByTestId('conversations-total')).toHaveText(
    totalOf(carols.length + bobs.length + eriks.length),
  );

  // tick one of carol's and one of bob's calls: the ZIP has exactly those
  const ticked = [carols[0], bobs[0]];
  const shown = await shownConversationIds(page);
  expect(shown).toEqual(expect.arrayContaining(ticked));
  for (const id of ticked) await setChecked(page.getByTestId(`tick-${id}`));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export ticked (2)' }).click(),
  ]);
  const zip = readZip(await readFile(await download.path()));
  const manifest = JSON.parse(
    zip.find(e => e.name === 'manifest.json')!.data.toString('utf8'),
  );
  expect(
    manifest.conversations.map((c: { id: string }) => c.id).sort(),
  ).toEqual([...ticked].sort());
  expect(zip.filter(e => e.name.startsWith('audio/'))).toHaveLength(2);
});
