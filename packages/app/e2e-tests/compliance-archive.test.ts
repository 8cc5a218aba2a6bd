import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, Page, test } from '@playwright/test';
import {
  chooseOption,
  escapeRegExp,
  openVoiceRecording,
  sectionTab,
  selectTrigger,
  signIn,
  tokenOf,
  uniqueSuffix,
} from './support';
import { bearer, readZip } from './conversationSupport';
import { docsScreenshot, placeRecordedCalls } from './caseSupport';

/**
 * The compliance archive of issue 18 in one admin flow (docs/compliance.md): Alice
 * (compliance) places a legal hold on a case holding a real SIPREC call of a new recorded number,
 * makes a 7-year retention policy for that number in Compliance › Retention, sees the
 * upcoming disposals (the demo's old calls at the end of their 5-year minimum, the one in
 * the demo case flagged as held), exports the case from Compliance › Exports, downloads
 * the package and the installation's public key from Compliance › Integrity; `mvr
 * verify` passes on the download with that key, and the package's manifest says the call
 * is under legal hold and kept until the policy's end. With MVR_DOCS_SCREENSHOTS=1
 * (scripts/screenshots.sh) it also takes the Compliance pages' pictures of docs/pages.md.
 */

const API = '/api/voice-recording';
const ROOT = path.resolve(__dirname, '../../..');
const run = promisify(execFile);

/** `yarn mvr verify …` as a recipient runs it: exit code and output. */
async function mvrVerify(args: string[]) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        path.join(ROOT, 'plugins/voice-recording-cli/bin/mvr'),
        'verify',
        ...args,
      ],
      { cwd: ROOT, timeout: 60_000 },
    );
    return { code: 0, out: `${stdout}${stderr}` };
  } catch (e: any) {
    return {
      code: e.code as number,
      out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    };
  }
}

const complianceTab = (page: Page, name: string) =>
  page
    .getByRole('tablist', { name: 'Compliance' })
    .getByRole('tab', { name, exact: true });

/**
 * A Belgian mobile number no earlier run (on a reused server) has taken, of a range
 * no other test uses: not a demo number (Alice's is the demo's silent number, whose
 * alarm recording-health.test.ts expects; Bob's and Carol's have the demo's old calls,
 * which a policy on them would keep longer).
 */
function freshNumber(): string {
  const digits = `${Date.now() % 1_000_000}`.padStart(6, '0');
  return `+32479${digits}`;
}

/** `date` plus whole calendar years (UTC), as the retention of a policy. */
function plusYears(date: Date, years: number): Date {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

test('an admin holds a case, sets a retention policy, sees upcoming disposals, exports the case and mvr verify passes on the download', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(360_000);
  const token = await tokenOf(request, 'alice');
  const suffix = uniqueSuffix();
  const caseTitle = `Regulator inquiry ${suffix}`;
  const reference = `FCA-${suffix}`;
  const policyName = `Inquiry line seven years ${suffix}`;

  // a recorded number of Dave's of its own, so that the policy governs only this test's
  // call, and one real SIPREC call of it in a new case (set up through the API)
  const number = freshNumber();
  const added = await request.post(`${API}/numbers`, {
    headers: bearer(token),
    data: {
      number,
      userRef: 'user:default/dave',
      slots: [
        { weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' },
      ],
    },
  });
  expect(added.status(), await added.text()).toBe(201);
  const numberId = ((await added.json()) as { id: string }).id;
  const [call] = await placeRecordedCalls(request, token, number, 1);
  const created = await request.post(`${API}/cases`, {
    headers: bearer(token),
    data: {
      title: caseTitle,
      description: 'Calls the regulator asked us to preserve and hand over',
      label: { title: `Inq ${suffix}`, colour: '#1565c0' },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id: caseId, label } = await created.json();
  const put = await request.put(
    `${API}/conversations/${call.id}/labels/${label.id}`,
    { headers: bearer(token) },
  );
  expect(put.status(), await put.text()).toBe(200);

  await signIn(page, 'alice');
  await openVoiceRecording(page);

  await test.step('Alice places a legal hold on the case', async () => {
    await sectionTab(page, 'Cases').click();
    const row = page.getByTestId(`case-row-${caseId}`);
    await row
      .getByRole('button', { name: `Place legal hold on ${caseTitle}` })
      .click();
    const dialog = page.getByRole('dialog', {
      name: `Place a legal hold on ${caseTitle}`,
    });
    await dialog.getByRole('textbox', { name: /^Reference/ }).fill(reference);
    await dialog
      .getByRole('textbox', { name: /^Reason/ })
      .fill('Regulator inquiry: preserve the calls until it is closed');
    await dialog.getByRole('button', { name: 'Place hold' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(
      page.getByText(
        `Legal hold ${reference} placed on ${caseTitle}: 1 conversation held`,
      ),
    ).toBeVisible();
    await expect(row.getByTestId('legal-hold-badge')).toHaveText(
      `Legal hold ${reference}`,
    );
    // Compliance › Legal holds: this hold and the demo's standing one
    await page.goto('/voice-recording/compliance/legal-holds');
    await expect(complianceTab(page, 'Legal holds')).toHaveAttribute(
      'aria-selected',
      'true',
    );
    const hold = page.getByRole('row').filter({ hasText: reference });
    await expect(hold).toContainText(caseTitle);
    await expect(hold).toContainText('Active');
    await expect(hold).toContainText('Alice Martin');
    await expect(
      page.getByRole('row').filter({ hasText: 'LIT-2026-0042' }),
    ).toContainText('Client Dupont complaint');
    await docsScreenshot(page, 'compliance-legal-holds');
  });

  let retentionUntil = '';
  await test.step("Alice makes a 7-year retention policy for the number; the held call's retention end follows it", async () => {
    await page.goto('/voice-recording/compliance/retention');
    await expect(page.getByTestId('retention-minimum')).toContainText(
      'Regulatory minimum: 5 years (P5Y)',
    );
    await page.getByRole('button', { name: 'New policy' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill(policyName);
    await chooseOption(dialog, 'Period', '7 years (P7Y)');
    await chooseOption(dialog, 'Applies to', 'Recorded numbers');
    // by the keyboard: the label's text holds the owner's name, a link to the catalog
    const box = dialog
      .getByRole('group', { name: 'Recorded numbers' })
      .getByRole('checkbox', { name: new RegExp(escapeRegExp(number)) });
    await box.focus();
    await page.keyboard.press('Space');
    await expect(box).toBeChecked();
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await expect(page.getByTestId('success-alert')).toContainText(
      `Policy ${policyName} saved`,
    );
    const row = page.getByRole('row').filter({ hasText: policyName });
    await expect(row).toContainText('7 years (P7Y)');
    await expect(row).toContainText(number);
    await docsScreenshot(page, 'compliance-retention');

    // existing conversations are re-computed: the call is kept 7 years after its end
    await expect
      .poll(async () => {
        const res = await request.get(`${API}/conversations/${call.id}`, {
          headers: bearer(token),
        });
        const body = await res.json();
        const c = body.conversation ?? body;
        retentionUntil = c.retentionUntil ?? '';
        const expected = plusYears(new Date(c.endedAt), 7).getTime();
        return Math.abs(Date.parse(retentionUntil) - expected) < 1000;
      })
      .toBe(true);
  });

  await test.step('Compliance › Disposals: the demo calls due within 30 days, the one in the held demo case flagged', async () => {
    await page.goto('/voice-recording/compliance/disposals');
    await expect(complianceTab(page, 'Disposals')).toHaveAttribute(
      'aria-selected',
      'true',
    );
    await expect(page.getByTestId('upcoming-summary')).toContainText(
      /^3 conversations due by .*, 1 of them under legal hold \(kept\)\./,
    );
    const table = page.getByTestId('upcoming-table');
    await expect(table.getByRole('row')).toHaveCount(4);
    const held = table.getByRole('row').filter({ hasText: 'Legal hold: kept' });
    await expect(held).toHaveCount(1);
    await expect(held).toContainText('Bob Peeters');
    await expect(held).toContainText('Regulatory minimum');
    // people by display name, never their refs
    await expect(table).not.toContainText('user:default/');
    // the case's call (7 years) is not among them
    await expect(table).not.toContainText(number);
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect(page.getByTestId('dry-run-result')).toContainText(
      'a run now would dispose of 0 conversations',
    );
    await docsScreenshot(page, 'compliance-disposals');
  });

  let jobId = '';
  const zipPath = testInfo.outputPath('export.zip');
  await test.step('Alice exports the case, follows the job and downloads the package', async () => {
    await page.goto('/voice-recording/compliance/exports');
    const form = page.getByRole('form', { name: 'New export' });
    // the form's selects are there once the cases are loaded
    await expect(selectTrigger(form, 'Case')).toBeVisible();
    await chooseOption(form, 'Case', caseTitle);
    await form.getByRole('button', { name: 'Start export' }).click();
    await expect(
      page.getByText(`Export started: Case: ${caseTitle}`),
    ).toBeVisible();
    const list = await request.get(`${API}/exports`, {
      headers: bearer(token),
    });
    const job = (await list.json()).items.find(
      (j: any) => j.scope.kind === 'case' && j.scope.caseId === caseId,
    );
    expect(job, 'the job of the case').toBeTruthy();
    jobId = job.id;
    await expect(page.getByTestId(`export-state-${jobId}`)).toHaveText(
      'Ready',
      { timeout: 120_000 },
    );
    await expect(page.getByTestId(`export-progress-${jobId}`)).toHaveText(
      '1 recording',
    );
    await docsScreenshot(page, 'compliance-exports');
    const row = page.getByTestId(`export-row-${jobId}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: `Download Case: ${caseTitle}` }).click(),
    ]);
    await download.saveAs(zipPath);
  });

  const keyPath = testInfo.outputPath('public-key.pem');
  await test.step('Alice downloads the public key from Compliance › Integrity', async () => {
    await page.goto('/voice-recording/compliance/integrity');
    await expect(page.getByTestId('signing-public-key')).toContainText(
      'BEGIN PUBLIC KEY',
    );
    await docsScreenshot(page, 'compliance-integrity');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download public key' }).click(),
    ]);
    await download.saveAs(keyPath);
    expect(readFileSync(keyPath, 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  await test.step('mvr verify passes on the download; its manifest: held, kept until the policy says', async () => {
    const ok = await mvrVerify([zipPath, '--public-key', keyPath]);
    expect(ok.out).toMatch(/: OK\. 1 conversation\b/);
    expect(ok.code).toBe(0);

    const entries = readZip(readFileSync(zipPath));
    const manifest = JSON.parse(
      entries.find(e => e.name === 'manifest.json')!.data.toString('utf8'),
    );
    expect(manifest.conversations).toHaveLength(1);
    const [c] = manifest.conversations;
    expect(c.id).toBe(call.id);
    expect(c.legalHold).toBe(true);
    expect(Date.parse(c.retentionUntil)).toBe(Date.parse(retentionUntil));
    expect(
      new Date(c.retentionUntil).getUTCFullYear() -
        new Date(c.endedAt ?? c.startedAt).getUTCFullYear(),
    ).toBe(7);
  });

  await test.step('the Audit page verifies the trail with all of this in it', async () => {
    await page.goto('/voice-recording');
    await openVoiceRecording(page);
    await sectionTab(page, 'Audit').click();
    await page.getByRole('button', { name: 'Verify trail' }).click();
    await expect(page.getByTestId('audit-verify-result')).toContainText(
      /The audit trail is intact: [\d,]+ entr(y|ies) verified\./,
    );
    await docsScreenshot(page, 'audit-verify');
  });

  // the policy and the number go again
  await page.goto('/voice-recording/compliance/retention');
  await page.getByRole('button', { name: `Delete ${policyName}` }).click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'Delete policy' })
    .click();
  await expect(page.getByTestId('success-alert')).toContainText(
    `Policy ${policyName} deleted`,
  );
  const removed = await request.delete(`${API}/numbers/${numberId}`, {
    headers: bearer(token),
  });
  expect([204, 404]).toContain(removed.status());
});
