import { VoiceRecordingClient } from './VoiceRecordingClient';
import { errorMessage, errorStatus } from './errors';
import { errorResponse } from '../testUtils/fixtures';

const BASE = 'http://localhost:7007/api/voice-recording';

function setup(response: () => Response) {
  const fetch = jest.fn(async (_url: string, _init?: RequestInit) =>
    response(),
  );
  const client = new VoiceRecordingClient({
    discoveryApi: { getBaseUrl: async () => BASE },
    fetchApi: { fetch } as any,
  });
  const call = (i = 0) => {
    const [url, init] = fetch.mock.calls[i];
    return {
      url: url.slice(BASE.length),
      method: init?.method ?? 'GET',
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
  };
  return { client, fetch, call };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

describe('VoiceRecordingClient: cases, labels and access requests', () => {
  it('creates a case with a new label and its access settings', async () => {
    const { client, call } = setup(() => json({ id: 'c1' }, 201));
    await client.createCase({
      title: 'Client X',
      label: { title: 'Client X', colour: '#aa0000' },
      access: {
        list: { mode: 'everyone', refs: [] },
        playback: { mode: 'selected', refs: ['group:default/compliance'] },
        label: { mode: 'owner', refs: [] },
      },
    });
    expect(call()).toEqual({
      url: '/cases',
      method: 'POST',
      body: {
        title: 'Client X',
        label: { title: 'Client X', colour: '#aa0000' },
        access: {
          list: { mode: 'everyone', refs: [] },
          playback: { mode: 'selected', refs: ['group:default/compliance'] },
          label: { mode: 'owner', refs: [] },
        },
      },
    });
  });

  it('patches cases and labels, lists cases by status, encodes ids', async () => {
    const { client, call } = setup(() => json({ items: [] }));
    await client.updateCase('c/1', { status: 'closed' });
    await client.listCases({ status: 'open' });
    await client.listCases();
    await client.updateLabel('l1', { colour: '#00ff00' });
    await client.addConversationLabel('conv 1', 'l1');
    await client.removeConversationLabel('conv1', 'l 2');
    expect(call(0)).toEqual({
      url: '/cases/c%2F1',
      method: 'PATCH',
      body: { status: 'closed' },
    });
    expect(call(1).url).toBe('/cases?status=open');
    expect(call(2).url).toBe('/cases');
    expect(call(3)).toEqual({
      url: '/labels/l1',
      method: 'PATCH',
      body: { colour: '#00ff00' },
    });
    expect(call(4)).toMatchObject({
      url: '/conversations/conv%201/labels/l1',
      method: 'PUT',
    });
    expect(call(5)).toMatchObject({
      url: '/conversations/conv1/labels/l%202',
      method: 'DELETE',
    });
  });

  it('lists own, managed and all requests with their filters', async () => {
    const { client, call } = setup(() => json({ items: [], total: 0 }));
    await client.listMyAccessRequests();
    await client.listMyAccessRequests({ as: 'manager', state: 'pending' });
    await client.listAccessRequests({
      state: 'approved',
      caseId: 'c1',
      limit: 20,
      offset: 40,
    });
    expect(call(0).url).toBe('/me/access-requests');
    expect(call(1).url).toBe('/me/access-requests?state=pending&as=manager');
    expect(call(2).url).toBe(
      '/access-requests?state=approved&caseId=c1&limit=20&offset=40',
    );
  });

  it('sends decisions with their trimmed comment', async () => {
    const { client, call } = setup(() => json({ id: 'r1' }));
    await client.approveAccessRequest('r1');
    await client.rejectAccessRequest('r1', '  not needed ');
    await client.revokeAccessRequest('r1', 'case closed');
    await client.managerApproveAccessRequest('r1', 'ok');
    expect(call(0)).toEqual({
      url: '/access-requests/r1/approve',
      method: 'POST',
      body: {},
    });
    expect(call(1).body).toEqual({ comment: 'not needed' });
    expect(call(2)).toEqual({
      url: '/access-requests/r1/revoke',
      method: 'POST',
      body: { comment: 'case closed' },
    });
    expect(call(3).url).toBe('/access-requests/r1/manager-approve');
  });

  it('surfaces the field named by a refused request', async () => {
    const { client } = setup(() =>
      errorResponse(400, 'InputError', 'expiresAt: must be in the future'),
    );
    const error = await client
      .createAccessRequest({
        caseId: 'c1',
        reason: 'audit',
        expiresAt: '2020-01-01T00:00:00Z',
      })
      .catch(e => e);
    expect(errorStatus(error)).toBe(400);
    expect(errorMessage(error)).toBe('expiresAt: must be in the future');
  });
});
