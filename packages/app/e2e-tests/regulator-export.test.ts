import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  chooseOption,
  openVoiceRecording,
  setChecked,
  signIn,
  tokenOf,
  uniqueSuffix,
} from './support';
import { bearer } from './conversationSupport';
import { placeRecordedCalls } from './caseSupport';
import { overflowOf, print, violationsOf } from './accessibilitySupport';

/**
 * Regulator export end to end (docs/regulator-export.md): Alice (compliance) exports a
 * case of two real calls with their MP3 copies from Compliance › Exports, follows the job
 * until its package is ready, downloads it, and the suite's offline verification command
 * (`yarn mvr verify`, with the installation's public key pinned) passes on the download;
 * a copy with one byte changed fails it, naming the file.
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

test('an admin exports a case from the portal, waits for the package, downloads it, and mvr verify passes on it', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  const aliceToken = await tokenOf(request, 'alice');
  const suffix = uniqueSuffix();
  const caseTitle = `Regulator request ${suffix}`;

  // two fresh calls of Bob's in a new case (set up through the API)
  const calls = await placeRecordedCalls(request, aliceToken, BOB_NUMBER, 2);
  const created = await request.post(`${API}/cases`, {
    headers: bearer(aliceToken),
    data: {
      title: caseTitle,
      description: 'Calls the regulator asked for',
      label: { title: `Reg ${suffix}`, colour: '#00695c' },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id: caseId, label } = await created.json();
  for (const call of calls) {
    const put = await request.put(
      `${API}/conversations/${call.id}/labels/${label.id}`,
      { headers: bearer(aliceToken) },
    );
    expect(put.status(), await put.text()).toBe(200);
  }

  await signIn(page, 'alice');
  await openVoiceRecording(page);
  let jobId = '';

  await test.step('Alice starts an export of the case with MP3 copies', async () => {
    await page.goto('/voice-recording/compliance/exports');
    await expect(
      page
        .getByRole('tablist', { name: 'Compliance' })
        .getByRole('tab', { name: 'Exports', exact: true }),
    ).toHaveAttribute('aria-selected', 'true');
    const form = page.getByRole('form', { name: 'New export' });
    await chooseOption(form, 'Case', caseTitle);
    await setChecked(
      form.getByRole('checkbox', { name: 'Include MP3 copies' }),
    );
    await form.getByRole('button', { name: 'Start export' }).click();
    await expect(
      page.getByText(`Export started: Case: ${caseTitle}`),
    ).toBeVisible();
    const list = await request.get(`${API}/exports`, {
      headers: bearer(aliceToken),
    });
    const job = (await list.json()).items.find(
      (j: any) => j.scope.kind === 'case' && j.scope.caseId === caseId,
    );
    expect(job, 'the job of the case').toBeTruthy();
    jobId = job.id;
  });

  const row = page.getByTestId(`export-row-${jobId}`);
  await test.step('the job is followed until its package is ready', async () => {
    await expect(row).toContainText(`Case: ${caseTitle}`);
    await expect(row).toContainText('with MP3 copies');
    await expect(row).toContainText('Alice Martin');
    await expect(page.getByTestId(`export-state-${jobId}`)).toHaveText(
      'Ready',
      { timeout: 120_000 },
    );
    await expect(page.getByTestId(`export-progress-${jobId}`)).toHaveText(
      '2 recordings',
    );
  });

  await test.step('the Exports page passes axe and does not scroll sideways at 1280 or 1024 px', async () => {
    const found = await violationsOf(page, 'Compliance › Exports');
    expect(
      found.map(f => `${f.rule} (${f.nodes.length})`),
      print('alice', found),
    ).toEqual([]);
    expect(await overflowOf(page, 'Compliance › Exports')).toEqual([]);
  });

  const zipPath = testInfo.outputPath('export.zip');
  await test.step('Alice downloads the package', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: `Download Case: ${caseTitle}` }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^voice-recording-export_\d{4}-\d{2}-\d{2}_[0-9a-f]{8}\.zip$/,
    );
    await download.saveAs(zipPath);
    const job = await (
      await request.get(`${API}/exports/${jobId}`, {
        headers: bearer(aliceToken),
      })
    ).json();
    const bytes = readFileSync(zipPath);
    expect(bytes.length).toBe(job.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(job.sha256);
    await expect(row).toContainText(`SHA-256 ${job.sha256.slice(0, 12)}`);
  });

  await test.step('mvr verify passes on the download with the pinned key, and fails on a changed copy', async () => {
    const pem = await request.get(`${API}/signing/public-key?format=pem`, {
      headers: bearer(aliceToken),
    });
    expect(pem.status()).toBe(200);
    const keyPath = testInfo.outputPath('installation.pem');
    writeFileSync(keyPath, await pem.text());
    const ok = await mvrVerify([zipPath, '--public-key', keyPath]);
    expect(ok.out).toMatch(/: OK\. 2 conversations/);
    expect(ok.code).toBe(0);

    // one byte of a recording changed: the recipient is told which file
    const zip = readFileSync(zipPath);
    const needle = Buffer.from('OggS');
    const at = zip.indexOf(needle, zip.indexOf(needle) + 1000);
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(zip);
    tampered[at + 200] ^= 0xff;
    const tamperedPath = testInfo.outputPath('tampered.zip');
    writeFileSync(tamperedPath, tampered);
    const bad = await mvrVerify([tamperedPath, '--public-key', keyPath]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/FAIL audio\/[0-9a-f-]{36}\.ogg/);
  });
});
