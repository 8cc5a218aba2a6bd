import {
  APIRequestContext,
  Browser,
  Page,
  expect,
  test,
} from '@playwright/test';
import {
  DemoUser,
  openVoiceRecording,
  sectionTab,
  signIn,
  tokenOf,
} from './support';
import { bearer, listConversations } from './conversationSupport';
import { apiStatus, docsScreenshot, placeRecordedCalls } from './caseSupport';

/**
 * Four-eyes login end to end, with two signed-in users in their own browser contexts:
 * Erik (a trader flagged four-eyes in the demo, observed by the Observers group) gets
 * nothing of his recordings, in the portal or from the API, until Dave (a member of the
 * Observers group) confirms his session from his own session; a rejection leaves him
 * blocked.
 */

const API = '/api/voice-recording';

/** A Belgian mobile number no earlier run (on a reused server) has taken. */
function freshNumber(): string {
  const digits = `${(Date.now() + 700_000) % 1_000_000}`.padStart(6, '0');
  return `+32476${digits}`;
}

async function signedIn(browser: Browser, user: DemoUser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user);
  await openVoiceRecording(page);
  return page;
}

interface FourEyesStatus {
  required: boolean;
  access: boolean;
  session?: { id: string; state: string; decidedBy?: string };
}

async function fourEyesStatus(
  request: APIRequestContext,
  token: string,
): Promise<FourEyesStatus> {
  const res = await request.get(`${API}/me/four-eyes`, {
    headers: bearer(token),
  });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as FourEyesStatus;
}

/** Erik's view of his own call through the API. */
async function erikSees(
  request: APIRequestContext,
  token: string,
  call: { id: string; otherParty: string },
) {
  return {
    list: (await listConversations(request, token, { phone: call.otherParty }))
      .total,
    details: await apiStatus(request, token, `/conversations/${call.id}`),
    audio: await apiStatus(request, token, `/conversations/${call.id}/audio`),
  };
}

const BLOCKED = { list: 0, details: 404, audio: 404 };
const OPEN = { list: 1, details: 200, audio: 200 };

test('a four-eyes user sees no recordings until his observer confirms from his own session; a rejection keeps him blocked', async ({
  browser,
  request,
}) => {
  test.setTimeout(240_000);
  const aliceToken = await tokenOf(request, 'alice');
  const erikToken = await tokenOf(request, 'erik');

  const before = await fourEyesStatus(request, erikToken);
  expect(before.required, 'Erik is four-eyes (the demo flags him)').toBe(true);
  expect(
    before.access,
    'Erik has no confirmed session yet (a portal reused within the session time has one: run on a fresh portal, e.g. CI=true)',
  ).toBe(false);

  // Erik's own recorded number, and a call of it
  const number = freshNumber();
  const created = await request.post(`${API}/numbers`, {
    headers: bearer(aliceToken),
    data: {
      number,
      userRef: 'user:default/erik',
      slots: [
        { weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' },
      ],
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const numberId = ((await created.json()) as { id: string }).id;
  try {
    const [call] = await placeRecordedCalls(request, aliceToken, number, 1);
    expect(await erikSees(request, erikToken, call)).toEqual(BLOCKED);

    const erik = await signedIn(browser, 'erik');
    const dave = await signedIn(browser, 'dave');

    const gate = erik.getByTestId('four-eyes-gate');
    const state = erik.getByTestId('four-eyes-state');
    const ask = erik.getByRole('button', {
      name: /^(Ask for confirmation|Ask again)$/,
    });

    await test.step('Erik opens Conversations: the gate, no conversations', async () => {
      await sectionTab(erik, 'Conversations').click();
      await expect(gate).toBeVisible();
      await expect(gate).toContainText('needs an observer’s confirmation');
      // the observer by name from the catalog
      await expect(gate).toContainText('Observers');
      await expect(erik.getByTestId('conversations-total')).toHaveCount(0);
      await expect(erik.getByTestId(/^conversation-row-/)).toHaveCount(0);
      await erik.goto(`/voice-recording/conversations/${call.id}`);
      await expect(gate).toBeVisible();
      await expect(erik.getByTestId('conversation-title')).toHaveCount(0);
      await expect(erik.getByTestId('player-audio')).toHaveCount(0);
      await erik.goto('/voice-recording/conversations');
      await expect(gate).toBeVisible();
    });

    /**
     * Dave decides Erik's pending session: from the Four-eyes page, or by his Backstage
     * notification, whose link opens that page with the session marked.
     */
    const decide = async (
      action: 'Confirm' | 'Reject',
      via: 'page' | 'notification',
    ) => {
      const pending = (await fourEyesStatus(request, erikToken)).session!;
      expect(pending.state).toBe('pending');
      if (via === 'notification') {
        await dave.goto('/notifications');
        await dave
          .getByRole('link', {
            name: /asks you to confirm their access to recordings/,
          })
          .first()
          .click();
        await expect(dave).toHaveURL(
          new RegExp(`/voice-recording/four-eyes\\?session=${pending.id}$`),
        );
      } else {
        await dave.goto('/voice-recording/four-eyes');
      }
      const asked = dave
        .getByTestId('four-eyes-confirmations')
        .getByTestId(`four-eyes-session-${pending.id}`);
      await expect(asked).toContainText('Erik');
      await expect(asked).toContainText('asks to open recordings');
      if (via === 'notification')
        await expect(asked).toHaveAttribute('aria-current', 'true');
      if (action === 'Confirm') await docsScreenshot(dave, 'four-eyes-confirm');
      await asked.getByRole('button', { name: action, exact: true }).click();
      await expect(dave.getByRole('status')).toContainText(
        action === 'Confirm' ? 'Confirmed: access to recordings' : 'Rejected',
      );
      await expect(asked).toHaveCount(0);
    };

    await test.step('Erik asks; Dave, an observer, rejects: Erik stays blocked', async () => {
      await ask.click();
      await expect(state).toContainText('waiting for an observer to confirm');
      await docsScreenshot(erik, 'four-eyes-gate');
      // still nothing while it waits
      expect(await erikSees(request, erikToken, call)).toEqual(BLOCKED);
      await decide('Reject', 'page');
      await erik.getByRole('button', { name: 'Check again' }).click();
      await expect(state).toContainText('rejected by Dave');
      await expect(gate).toBeVisible();
      await expect(erik.getByTestId(/^conversation-row-/)).toHaveCount(0);
      expect(await erikSees(request, erikToken, call)).toEqual(BLOCKED);
      expect(await fourEyesStatus(request, erikToken)).toMatchObject({
        required: true,
        access: false,
        session: { state: 'rejected', decidedBy: 'user:default/dave' },
      });
    });

    await test.step('Erik asks again; Dave confirms from his own session: Erik sees and opens his call', async () => {
      await ask.click();
      await expect(state).toContainText('waiting for an observer to confirm');
      // Erik cannot confirm his own session
      const own = (await fourEyesStatus(request, erikToken)).session!;
      const self = await request.post(
        `${API}/four-eyes/sessions/${own.id}/confirm`,
        { headers: bearer(erikToken) },
      );
      expect(self.status()).toBe(403);
      expect(await erikSees(request, erikToken, call)).toEqual(BLOCKED);

      await decide('Confirm', 'notification');
      // the waiting page looks again by itself (every 10 s)
      await expect(gate).toHaveCount(0, { timeout: 30_000 });
      await expect(erik.getByTestId('four-eyes-session')).toContainText(
        'Four-eyes access confirmed by Dave',
      );
      const row = erik.getByTestId(`conversation-row-${call.id}`);
      await expect(row).toBeVisible();
      await expect(row).toContainText(call.otherParty);
      await row.getByText(call.otherParty).click();
      await expect(erik.getByTestId('conversation-title')).toContainText(
        call.otherParty,
      );
      await expect(erik.getByTestId('play-button')).toBeEnabled();
      expect(await erikSees(request, erikToken, call)).toEqual(OPEN);
    });
  } finally {
    const res = await request.delete(`${API}/numbers/${numberId}`, {
      headers: bearer(aliceToken),
    });
    expect([204, 404]).toContain(res.status());
  }
});
