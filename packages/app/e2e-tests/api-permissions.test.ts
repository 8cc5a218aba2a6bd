import { expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  CAROL_NUMBER,
  apiNumber,
  signIn,
  tokenOf,
} from './support';

/**
 * The backend enforces the permissions itself: hiding buttons in the UI is not the
 * protection. Bob signs in in the browser, then calls the REST API with his own token.
 */
test("the API refuses Bob's changes to Carol's number with 403 and changes nothing", async ({
  page,
}) => {
  const request = page.request;
  const aliceToken = await tokenOf(request, 'alice');
  const before = await apiNumber(request, aliceToken, CAROL_NUMBER);

  await signIn(page, 'bob');
  const bobToken = await tokenOf(request, 'bob');
  const auth = { Authorization: `Bearer ${bobToken}` };

  // He cannot even read it: visibility is filtered (404, not a leak of its existence).
  const read = await request.get(`/api/voice-recording/numbers/${before.id}`, {
    headers: auth,
  });
  expect(read.status()).toBe(404);

  const patch = await request.patch(
    `/api/voice-recording/numbers/${before.id}`,
    {
      headers: auth,
      data: {
        mvrActive: false,
        settings: { beep: !before.settings.beep, selfManaged: false },
      },
    },
  );
  expect(patch.status(), await patch.text()).toBe(403);
  const body = await patch.json();
  expect(body.error.name).toBe('NotAllowedError');
  expect(body.error.message).toContain('voice-recording.number.update');

  const mode = await request.post(
    `/api/voice-recording/numbers/${before.id}/professional-mode`,
    { headers: auth, data: { enabled: false } },
  );
  expect(mode.status(), await mode.text()).toBe(403);

  const after = await apiNumber(request, aliceToken, CAROL_NUMBER);
  expect(after.settings).toEqual(before.settings);
  expect(after.slots).toEqual(before.slots);

  // Standard users cannot change their own number's settings either.
  const own = await apiNumber(request, bobToken, BOB_NUMBER);
  const ownPatch = await request.patch(
    `/api/voice-recording/numbers/${own.id}`,
    { headers: auth, data: { settings: { beep: !own.settings.beep } } },
  );
  expect(ownPatch.status(), await ownPatch.text()).toBe(403);

  // Without a token: 401.
  const anonymous = await request.patch(
    `/api/voice-recording/numbers/${before.id}`,
    { data: { settings: { beep: false } } },
  );
  expect(anonymous.status()).toBe(401);
});
