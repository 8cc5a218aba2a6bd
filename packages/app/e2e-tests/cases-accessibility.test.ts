import { APIRequestContext, Page, expect, test } from '@playwright/test';
import {
  DemoUser,
  chooseOption,
  selectTrigger,
  signIn,
  tokenOf,
  uniqueSuffix,
} from './support';
import { bearer } from './conversationSupport';
import { Found, overflowOf, print, violationsOf } from './accessibilitySupport';

/**
 * Accessibility of cases, access requests and four-eyes (axe-core, as
 * accessibility.test.ts: no serious or critical violation; nothing scrolls sideways at
 * 1280 px, the page does not at 1024 px): the Cases tab and its dialog, the Workflows
 * sections with the reject and revoke dialogs and a request's page, the Four-eyes tab
 * of an admin and of an observer with a session to confirm, and the four-eyes gate.
 * What they show is made through the API first (a case, a pending and an approved
 * request, a session asked by Erik), with titles of this run.
 */

const API = '/api/voice-recording';

interface Check {
  name: string;
  open: (page: Page) => Promise<void>;
}

async function post(
  request: APIRequestContext,
  token: string,
  path: string,
  data: unknown,
) {
  const res = await request.post(`${API}${path}`, {
    headers: bearer(token),
    data,
  });
  expect(res.status(), `${path}: ${await res.text()}`).toBeLessThan(300);
  return res.json();
}

async function scan(page: Page, user: DemoUser, checks: Check[]) {
  await signIn(page, user);
  const found: Found[] = [];
  const tooWide: string[] = [];
  for (const check of checks) {
    await test.step(check.name, async () => {
      await check.open(page);
      found.push(...(await violationsOf(page, check.name)));
      tooWide.push(...(await overflowOf(page, check.name)));
    });
  }
  expect(tooWide, 'pages wider than the window').toEqual([]);
  expect(
    found.map(f => `${f.page}: ${f.rule} (${f.nodes.length})`),
    print(user, found),
  ).toEqual([]);
}

test.describe('cases, workflows and four-eyes pass axe', () => {
  const suffix = uniqueSuffix();
  const caseTitle = `Accessibility review ${suffix}`;
  let pendingId = '';
  let approvedId = '';

  test.beforeAll(async ({ request }) => {
    const alice = await tokenOf(request, 'alice');
    const created = await post(request, alice, '/cases', {
      title: caseTitle,
      description: 'Calls gathered for the accessibility check',
      label: { title: `A11y ${suffix}`, colour: '#00897b' },
    });
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const pending = await post(
      request,
      await tokenOf(request, 'bob'),
      '/access-requests',
      {
        caseId: created.id,
        reason: 'A colleague’s call with the client',
        rights: ['playback'],
        expiresAt,
      },
    );
    pendingId = pending.id;
    const approved = await post(
      request,
      await tokenOf(request, 'carol'),
      '/access-requests',
      { caseId: created.id, reason: 'Review of my calls', expiresAt },
    );
    approvedId = approved.id;
    await post(request, alice, `/access-requests/${approvedId}/approve`, {
      comment: 'For the review',
    });
  });

  test('as the compliance officer (Alice): Cases and its dialog, Workflows with the reject and revoke dialogs, a request, Four-eyes', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const dialog = page.getByRole('dialog');
    await scan(page, 'alice', [
      {
        name: 'cases',
        open: async p => {
          await p.goto('/voice-recording/cases');
          await expect(
            p.getByTestId('cases-table').getByText(caseTitle),
          ).toBeVisible();
        },
      },
      {
        name: 'new case dialog (new label, selected people)',
        open: async p => {
          await p
            .getByRole('button', { name: 'New case', exact: true })
            .click();
          await dialog.getByText('New label', { exact: true }).click();
          await chooseOption(
            dialog,
            'List its conversations',
            'Selected users and groups',
          );
          // the form's own errors (Create case with nothing filled in)
          await dialog.getByRole('button', { name: 'Create case' }).click();
          await expect(dialog.getByText('Give the case a title')).toBeVisible();
        },
      },
      {
        name: 'requests to approve',
        open: async p => {
          await p.keyboard.press('Escape');
          await expect(dialog).toHaveCount(0);
          await p.goto('/voice-recording/workflows/to-approve');
          await expect(p.getByTestId(`request-row-${pendingId}`)).toBeVisible();
        },
      },
      {
        name: 'reject dialog (comment missing)',
        open: async p => {
          await p
            .getByTestId(`request-row-${pendingId}`)
            .getByRole('button', { name: /^Reject request for / })
            .click();
          await dialog.getByRole('button', { name: 'Reject' }).click();
          await expect(
            dialog.getByText('A comment is required to reject a request'),
          ).toBeVisible();
        },
      },
      {
        name: 'all requests',
        open: async p => {
          await dialog.getByRole('button', { name: 'Cancel' }).click();
          await expect(dialog).toHaveCount(0);
          await p.goto('/voice-recording/workflows/all-requests');
          await expect(
            p.getByTestId(`request-row-${approvedId}`),
          ).toBeVisible();
        },
      },
      {
        name: 'revoke dialog',
        open: async p => {
          await p
            .getByTestId(`request-row-${approvedId}`)
            .getByRole('button', { name: /^Revoke access for / })
            .click();
          await expect(
            dialog.getByRole('heading', { name: 'Revoke access' }),
          ).toBeVisible();
        },
      },
      {
        name: 'a request’s page',
        open: async p => {
          await dialog.getByRole('button', { name: 'Cancel' }).click();
          await expect(dialog).toHaveCount(0);
          await p.goto(`/voice-recording/workflows/requests/${pendingId}`);
          await expect(p.getByTestId('recent-requests')).toBeVisible();
          await expect(
            p.getByRole('button', { name: 'Approve' }),
          ).toBeVisible();
        },
      },
      {
        name: 'four-eyes (admin: confirmations and flagged users)',
        open: async p => {
          await p.goto('/voice-recording/four-eyes');
          await expect(p.getByTestId('four-eyes-confirmations')).toBeVisible();
          await expect(p.getByText('Erik Claes').first()).toBeVisible();
        },
      },
    ]);
  });

  test('as a trader (Bob): Request access and My requests', async ({
    page,
  }) => {
    await scan(page, 'bob', [
      {
        name: 'request access (a case chosen)',
        open: async p => {
          await p.goto('/voice-recording/workflows/request-access');
          await expect(selectTrigger(p, 'Case')).toBeVisible();
          await chooseOption(p, 'Case', caseTitle);
          // the form's own errors (no reason)
          await p.getByRole('button', { name: 'Request access' }).click();
          await expect(p.getByText('Say why you need access')).toBeVisible();
        },
      },
      {
        name: 'my requests',
        open: async p => {
          await p.goto('/voice-recording/workflows/my-requests');
          await expect(p.getByTestId(`request-row-${pendingId}`)).toBeVisible();
        },
      },
    ]);
  });

  test('four-eyes: the gate of the waiting user (Erik) and the observer’s confirmation (Dave)', async ({
    browser,
    request,
  }) => {
    const erikToken = await tokenOf(request, 'erik');
    const status = await request.get(`${API}/me/four-eyes`, {
      headers: bearer(erikToken),
    });
    expect(
      (await status.json()).access,
      'Erik has no confirmed session (a portal reused within the session time has one: run on a fresh portal, e.g. CI=true)',
    ).toBe(false);
    const session = await post(
      request,
      erikToken,
      '/me/four-eyes/sessions',
      {},
    );
    try {
      const erik = await (await browser.newContext()).newPage();
      await scan(erik, 'erik', [
        {
          name: 'four-eyes gate (waiting)',
          open: async p => {
            await p.goto('/voice-recording/conversations');
            await expect(p.getByTestId('four-eyes-state')).toContainText(
              'waiting for an observer',
            );
          },
        },
      ]);
      const dave = await (await browser.newContext()).newPage();
      await scan(dave, 'dave', [
        {
          name: 'four-eyes confirmations (observer)',
          open: async p => {
            await p.goto(`/voice-recording/four-eyes?session=${session.id}`);
            await expect(
              p.getByTestId(`four-eyes-session-${session.id}`),
            ).toBeVisible();
          },
        },
      ]);
    } finally {
      // no session left waiting for the next tests
      await post(
        request,
        await tokenOf(request, 'dave'),
        `/four-eyes/sessions/${session.id}/reject`,
        {},
      );
    }
  });
});
