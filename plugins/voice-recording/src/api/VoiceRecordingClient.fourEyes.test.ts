import { clientWithFetch } from '../testUtils/client';

/** Every request answered with `status` and `body` (none for 204). */
const setup = (status = 200, body: unknown = {}) =>
  clientWithFetch(
    () =>
      new Response(status === 204 ? null : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      }),
  );

describe('VoiceRecordingClient: four-eyes access', () => {
  it('reads the status, asks, lists, confirms and rejects sessions', async () => {
    const { client, calls } = setup(200, { items: [] });
    await client.getFourEyesStatus();
    await client.askFourEyesConfirmation();
    await client.listFourEyesConfirmations();
    await client.confirmFourEyesSession('s/1');
    await client.rejectFourEyesSession('s2');
    expect(calls()).toEqual([
      { url: '/me/four-eyes', method: 'GET', body: undefined },
      { url: '/me/four-eyes/sessions', method: 'POST', body: undefined },
      { url: '/four-eyes/sessions', method: 'GET', body: undefined },
      {
        url: '/four-eyes/sessions/s%2F1/confirm',
        method: 'POST',
        body: undefined,
      },
      { url: '/four-eyes/sessions/s2/reject', method: 'POST', body: undefined },
    ]);
  });

  it('lists, sets and clears flags (the user ref encoded in the path)', async () => {
    const { client, calls } = setup(204);
    await client.clearFourEyesUser('user:default/victor');
    const set = setup(200, { userRef: 'user:default/victor' });
    await set.client.setFourEyesUser(
      'user:default/victor',
      'group:default/observers',
    );
    await set.client.listFourEyesUsers();
    expect([...calls(), ...set.calls()]).toEqual([
      {
        url: '/four-eyes/users/user%3Adefault%2Fvictor',
        method: 'DELETE',
        body: undefined,
      },
      {
        url: '/four-eyes/users',
        method: 'PUT',
        body: {
          userRef: 'user:default/victor',
          observerRef: 'group:default/observers',
        },
      },
      { url: '/four-eyes/users', method: 'GET', body: undefined },
    ]);
  });
});
