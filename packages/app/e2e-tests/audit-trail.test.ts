import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import {
  openVoiceRecording,
  sectionTab,
  selectTrigger,
  signIn,
  tokenOf,
} from './support';

/**
 * The tamper-evident audit trail (docs/audit-trail.md): Alice verifies the trail on the
 * Audit page (intact, its entry count and head hash), then with the `mvr audit-verify`
 * command against the same portal; both verifications are entries of the trail.
 */
test('Alice verifies the audit trail on the Audit page and with mvr audit-verify', async ({
  page,
  request,
  baseURL,
}) => {
  const token = await tokenOf(request, 'alice');
  await signIn(page, 'alice');
  await page.goto('/voice-recording');
  await openVoiceRecording(page);
  await sectionTab(page, 'Audit').click();

  await page.getByRole('button', { name: 'Verify trail' }).click();
  const result = page.getByTestId('audit-verify-result');
  await expect(result).toHaveAttribute('role', 'status');
  await expect(result).toContainText(
    /The audit trail is intact: [\d,]+ entr(y|ies) verified\./,
  );
  await expect(result.getByTestId('audit-head-hash')).toHaveAttribute(
    'title',
    /^[0-9a-f]{64}$/,
  );

  // the command, with Alice's token, against the same portal
  const mvr = path.resolve(
    __dirname,
    '../../../plugins/voice-recording-cli/bin/mvr',
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [mvr, 'audit-verify', '--url', baseURL!, '--token', token],
    { env: { ...process.env, MVR_TOKEN: '' } },
  );
  expect(stdout).toMatch(
    /^audit trail: OK\. \d+ entries verified, head hash [0-9a-f]{64}/,
  );

  // both verifications are in the trail, as sentences
  const form = page.getByRole('form', { name: 'Filter audit trail' });
  await selectTrigger(form, 'Action').click();
  await page
    .getByRole('listbox')
    .getByRole('group', { name: 'Audit trail' })
    .getByRole('option', { name: 'Audit trail verified', exact: true })
    .click();
  await form.getByRole('button', { name: 'Search', exact: true }).click();
  const rows = page
    .getByTestId('audit-table')
    .getByTestId(/^audit-row-/)
    .filter({ hasText: 'Alice Martin verified the audit trail: intact' });
  await expect(rows).toHaveCount(2);
});
