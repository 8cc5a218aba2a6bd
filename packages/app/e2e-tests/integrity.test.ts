import { expect, test } from '@playwright/test';
import { BOB_NUMBER, openVoiceRecording, signIn, tokenOf } from './support';
import { bearer } from './conversationSupport';
import { placeRecordedCalls } from './caseSupport';
import { Found, overflowOf, print, violationsOf } from './accessibilitySupport';

/**
 * Integrity end to end (docs/integrity.md): a real SIPREC call of Bob's is signed when
 * the recorder finalizes it; Alice (compliance) sees the installation's key in
 * Compliance › Integrity, runs a sweep there, and on the call's page sees "Signed with
 * key …" and verifies the stored archive with "Verify now".
 */

const API = '/api/voice-recording';

test('a recorded call is signed; an admin sees the key, runs the integrity sweep and verifies the call', async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  const aliceToken = await tokenOf(request, 'alice');
  const [call] = await placeRecordedCalls(request, aliceToken, BOB_NUMBER, 1);
  const key = await (
    await request.get(`${API}/signing/public-key`, {
      headers: bearer(aliceToken),
    })
  ).json();
  expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
  // signed at the end of the call, by the recorder's capture context
  const sigs = await request.get(`${API}/conversations/${call.id}/signatures`, {
    headers: bearer(aliceToken),
  });
  expect(sigs.status(), await sigs.text()).toBe(200);
  const { signatures } = await sigs.json();
  expect(signatures.length).toBeGreaterThanOrEqual(1);
  expect(signatures[0].keyId).toBe(key.keyId);

  const found: Found[] = [];
  const tooWide: string[] = [];
  await signIn(page, 'alice');
  await openVoiceRecording(page);

  await test.step('Compliance › Integrity: the key, a sweep run now', async () => {
    await page.goto('/voice-recording/compliance/integrity');
    await expect(
      page
        .getByRole('tablist', { name: 'Compliance' })
        .getByRole('tab', { name: 'Integrity', exact: true }),
    ).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('signing-key-id')).toHaveText(
      `Ed25519 key ${key.keyId}`,
    );
    await expect(page.getByTestId('signing-public-key')).toContainText(
      'BEGIN PUBLIC KEY',
    );
    await page.getByRole('button', { name: 'Run sweep now' }).click();
    await expect(
      page.getByText(/Integrity sweep done: .* re-hashed/),
    ).toBeVisible({
      timeout: 60_000,
    });
    await expect(page.getByTestId('last-sweep')).toContainText(
      '0 altered, 0 missing',
    );
    found.push(...(await violationsOf(page, 'integrity')));
    tooWide.push(...(await overflowOf(page, 'integrity')));
  });

  await test.step("the call's page: signed with the key, verified now", async () => {
    await page.goto(`/voice-recording/conversations/${call.id}`);
    const box = page.getByRole('group', { name: 'Recording signature' });
    await expect(box.getByTestId('signature-state')).toContainText(
      `Signed with key ${key.keyId}`,
    );
    await box.getByRole('button', { name: 'Verify now' }).click();
    await expect(box.getByRole('status')).toContainText(
      'is intact and its signature is valid',
    );
    found.push(...(await violationsOf(page, 'conversation signature')));
    tooWide.push(...(await overflowOf(page, 'conversation signature')));
  });

  await test.step('the verification is audited', async () => {
    const audit = await request.get(
      `${API}/audit?action=conversation-verify&target=conversation:${call.id}`,
      { headers: bearer(aliceToken) },
    );
    expect(audit.status(), await audit.text()).toBe(200);
    expect((await audit.json()).items[0]).toMatchObject({
      actorRef: 'user:default/alice',
    });
  });

  await test.step('the views pass axe and do not scroll sideways', async () => {
    expect(tooWide, 'pages wider than the window').toEqual([]);
    expect(found.length ? print('integrity', found) : '').toBe('');
  });
});
