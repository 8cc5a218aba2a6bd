import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Browser, Page, expect, test } from '@playwright/test';
import {
  BOB_NUMBER,
  CAROL_NUMBER,
  apiNumber,
  chooseOption,
  openVoiceRecording,
  sectionTab,
  signIn,
  tokenOf,
} from './support';
import {
  PlaybackStart,
  audioState,
  bearer,
  clickPlayAndMeasure,
  listConversations,
  openConversationsTab,
  patchNumberSettings,
  readZip,
  searchConversations,
  shownConversationIds,
  uniqueOtherParty,
} from './conversationSupport';
import { placeSiprecCall } from './siprecCaller';

/**
 * Recorded conversations end to end: a real SIPREC call on the portal's recorder
 * (UDP 127.0.0.1:5070), found, played and audited in the browser; admin search,
 * MP3 download, ZIP export and the audit trail; a refused call leaves no audio.
 */

const API = '/api/voice-recording';

/** The national, partial, spaced form of a +32 number: +32478123456 -> "0478 12 34". */
function nationalPartial(e164: string): string {
  const national = `0${e164.slice(3)}`; // 0478123456
  return `${national.slice(0, 4)} ${national.slice(4, 6)} ${national.slice(
    6,
    8,
  )}`;
}

test('a call recorded over SIPREC reaches Bob: he finds it by the other number, plays, changes speed, seeks, cannot download', async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const aliceToken = await tokenOf(request, 'alice');
  const bobToken = await tokenOf(request, 'bob');

  // Bob's number follows "Office hours" (Auto): make it record at any time of day
  // (Manual + Professional) for the call, then put it back.
  const bobNumber = await apiNumber(request, aliceToken, BOB_NUMBER);
  const original = {
    statusMode: bobNumber.settings.statusMode,
    activeStatus: bobNumber.settings.activeStatus,
  };
  const other = uniqueOtherParty();
  let call;
  await patchNumberSettings(request, aliceToken, bobNumber.id, {
    statusMode: 'manual',
    activeStatus: 'professional',
  });
  try {
    call = await placeSiprecCall({ recorded: BOB_NUMBER, other, seconds: 5 });
  } finally {
    await patchNumberSettings(request, aliceToken, bobNumber.id, original);
  }
  expect(
    call.status,
    `INVITE answered ${call.status} ${call.warning ?? ''}`,
  ).toBe(200);
  expect(call.rtpPackets).toEqual([250, 250]);

  // The recorder registers the conversation once the BYE has come and the archive is written.
  await expect
    .poll(
      async () => {
        const list = await listConversations(request, bobToken, {
          phone: other,
        });
        return list.items.map(c => `${c.sipCallId} ${c.state}`);
      },
      {
        message: 'the recorded call, finished, visible to Bob',
        timeout: 30_000,
      },
    )
    .toEqual([`${call.callId} finished`]);
  const [recorded] = (
    await listConversations(request, bobToken, { phone: other })
  ).items;
  expect(recorded).toMatchObject({
    number: BOB_NUMBER,
    otherParty: other,
    userRef: 'user:default/bob',
  });
  expect(recorded.durationMs).toBeGreaterThan(4500);

  // Bob searches with the other party's number in another format (national, partial).
  await signIn(page, 'bob');
  await openVoiceRecording(page);
  await openConversationsTab(page);
  await expect(
    page.getByRole('button', { name: 'Export selection (ZIP)' }),
  ).toHaveCount(0);
  await searchConversations(page, { phone: nationalPartial(other) });
  await expect(page.getByTestId('conversations-total')).toHaveText(
    /^1 conversation\b/,
  );
  const row = page.getByTestId(`conversation-row-${recorded.id}`);
  await expect(row).toContainText(other);
  await expect(row).toContainText(BOB_NUMBER);
  // the user by display name from the catalog, not the raw ref
  await expect(row).toContainText('Bob Peeters');
  await row.click();

  await expect(page).toHaveURL(
    new RegExp(`/voice-recording/conversations/${recorded.id}$`),
  );
  await expect(page.getByTestId('conversation-title')).toContainText(other);
  // No MP3 for a standard user, and no access history (admins only).
  await expect(page.getByRole('button', { name: 'Download MP3' })).toHaveCount(
    0,
  );
  await expect(page.getByTestId('access-history')).toHaveCount(0);

  // Play: the element's time advances; time from click to `playing` is measured.
  await expect(page.getByTestId('play-button')).toBeEnabled();
  // First playback of this browser: includes the cold start of Chromium's media stack.
  const cold = await clickPlayAndMeasure(page);
  logPlaybackStart('cold (first playback in a fresh browser)', cold);
  // Sanity bound only (see the warm start below).
  expect(cold.clickToPlayingMs).toBeLessThan(5000);
  await expect
    .poll(async () => (await audioState(page)).currentTime, {
      message: 'the audio element plays',
    })
    .toBeGreaterThan(0.3);
  const afterPlay = await audioState(page);
  expect(afterPlay.error).toBeUndefined();
  expect(afterPlay.src).toContain(`/conversations/${recorded.id}/audio`);
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();

  // Speed 1.5x.
  await chooseOption(page, 'Playback speed', '1.5×');
  await expect
    .poll(async () => (await audioState(page)).playbackRate)
    .toBe(1.5);

  // Pause, then seek by clicking the waveform at 60 %.
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect.poll(async () => (await audioState(page)).paused).toBe(true);
  const waveform = page.getByTestId('waveform');
  await expect(waveform).toBeVisible();
  const box = (await waveform.boundingBox())!;
  await waveform.click({ position: { x: box.width * 0.6, y: box.height / 2 } });
  const { duration } = await audioState(page);
  expect(duration).toBeGreaterThan(4);
  await expect
    .poll(async () => (await audioState(page)).currentTime, {
      message: 'position after the waveform click',
    })
    .toBeCloseTo(duration * 0.6, 0);
  await expect(waveform).toHaveAttribute(
    'data-progress',
    /^0\.(5[5-9]|6[0-5])/,
  );

  // Seek with the keyboard on the slider (End = the last position), then back to the start.
  const slider = page.getByRole('slider', { name: 'Seek' });
  await slider.focus();
  await page.keyboard.press('Home');
  await expect
    .poll(async () => (await audioState(page)).currentTime)
    .toBeLessThan(0.2);
  // Playing from there at 1.5x advances again.
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expect
    .poll(async () => (await audioState(page)).currentTime)
    .toBeGreaterThan(0.5);
  expect((await audioState(page)).playbackRate).toBe(1.5);

  // The API refuses him the MP3.
  const download = await request.get(
    `${API}/conversations/${recorded.id}/download`,
    { headers: bearer(bobToken) },
  );
  expect(download.status(), await download.text()).toBe(403);

  // Another of his calls, never fetched by this browser (the media stack is up): the
  // start a user sees from the second call on. Target < 200 ms: printed here, measured
  // over 20 starts of a one-hour call by bench/playbackStart.js; the bound is a sanity
  // check (the shared 2-core machine's load varies too much to assert the target).
  const another = (
    await listConversations(request, bobToken, {
      number: BOB_NUMBER,
      limit: 50,
    })
  ).items.find(c => c.id !== recorded.id && c.state === 'finished');
  expect(another, 'another finished call of Bob (demo data)').toBeDefined();
  // Audit: one playback start per listen (play, pause, seeks and Play again are one),
  // recorded by the player; the audio requests are audited as access.
  const bobActions = async (id: string) => {
    const res = await request.get(`${API}/conversations/${id}/access-history`, {
      headers: bearer(aliceToken),
    });
    expect(res.status(), await res.text()).toBe(200);
    const { items } = (await res.json()) as {
      items: Array<{ actorRef: string; action: string }>;
    };
    return items
      .filter(i => i.actorRef === 'user:default/bob')
      .map(i => i.action);
  };
  const count = (actions: string[], action: string) =>
    actions.filter(a => a === action).length;
  // (a reused server may have earlier plays of the demo calls: counted from here)
  const anotherBefore = count(
    await bobActions(another!.id),
    'conversation-playback',
  );
  await page.goto(`/voice-recording/conversations/${another!.id}`);
  await expect(page.getByTestId('play-button')).toBeEnabled();
  const warm = await clickPlayAndMeasure(page);
  logPlaybackStart('warm (another call, media stack up)', warm);
  expect(warm.clickToPlayingMs).toBeLessThan(5000);
  await expect
    .poll(async () => (await audioState(page)).currentTime)
    .toBeGreaterThan(0.3);

  for (const [id, before] of [
    [recorded.id, 0],
    [another!.id, anotherBefore],
  ] as const) {
    await expect
      .poll(async () => count(await bobActions(id), 'conversation-playback'), {
        message: `playback starts of ${id}`,
      })
      .toBe(before + 1);
    expect(count(await bobActions(id), 'conversation-audio')).toBeGreaterThan(
      0,
    );
  }

  // Opening a call preloads its headers and duration (audited as access), but is no
  // playback start.
  const third = (
    await listConversations(request, bobToken, {
      number: BOB_NUMBER,
      limit: 50,
    })
  ).items.find(
    c => c.id !== recorded.id && c.id !== another!.id && c.state === 'finished',
  );
  expect(third, 'a third finished call of Bob (demo data)').toBeDefined();
  const thirdBefore = await bobActions(third!.id);
  await page.goto(`/voice-recording/conversations/${third!.id}`);
  await expect
    .poll(
      () =>
        page
          .getByTestId('player-audio')
          .evaluate(el => (el as HTMLAudioElement).readyState),
      { message: 'the metadata is preloaded' },
    )
    .toBeGreaterThanOrEqual(1);
  expect((await audioState(page)).duration).toBeGreaterThan(1);
  await expect
    .poll(async () => count(await bobActions(third!.id), 'conversation-audio'))
    .toBeGreaterThan(count(thirdBefore, 'conversation-audio'));
  expect(count(await bobActions(third!.id), 'conversation-playback')).toBe(
    count(thirdBefore, 'conversation-playback'),
  );
});

function logPlaybackStart(what: string, m: PlaybackStart) {
  // eslint-disable-next-line no-console
  console.log(
    `[e2e] playback start ${what}: click -> playing ${m.clickToPlayingMs.toFixed(
      1,
    )} ms; audio request (ms after click) ${JSON.stringify(
      m.request,
    )}; media events ${JSON.stringify(m.events)}`,
  );
}

/** Bob opens a conversation in his own browser context and plays it (audited playback). */
async function bobPlays(browser: Browser, id: string) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signIn(page, 'bob');
    await page.goto(`/voice-recording/conversations/${id}`);
    await expect(page.getByTestId('play-button')).toBeEnabled();
    await page.getByTestId('play-button').click();
    await expect
      .poll(async () => (await audioState(page)).currentTime)
      .toBeGreaterThan(0.2);
  } finally {
    await context.close();
  }
}

async function downloadOf(page: Page, click: () => Promise<void>) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    click(),
  ]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(path) };
}

test('Alice searches with filters, sorts, downloads the MP3, exports a ZIP, and reads the access history and the audit trail', async ({
  page,
  request,
  browser,
}) => {
  test.setTimeout(180_000);
  const aliceToken = await tokenOf(request, 'alice');
  // The demo call with DTMF: Bob's incoming call from +33 6 12 34 56 78 (client code 4711#).
  const demo = await listConversations(request, aliceToken, {
    phone: '+33612345678',
  });
  expect(demo.total, 'demo conversation (espeak-ng and sox needed)').toBe(1);
  const dtmfCall = demo.items[0];
  expect(dtmfCall.dtmf.map(d => d.digit).join('')).toBe('4711#');

  // Bob plays it first (in his own browser).
  await bobPlays(browser, dtmfCall.id);

  await signIn(page, 'alice');
  await openVoiceRecording(page);
  await openConversationsTab(page);

  // Filters: incoming, 5 s..10 min, the other party's number as typed by a person.
  await searchConversations(page, {
    phone: '+33 6 12 34 56 78',
    direction: 'incoming',
    minDuration: '5',
    maxDuration: '600',
  });
  await expect(page.getByTestId('conversations-total')).toHaveText(
    /^1 conversation\b/,
  );
  await expect.poll(() => shownConversationIds(page)).toEqual([dtmfCall.id]);
  // The other direction has none of that number's calls.
  await searchConversations(page, { direction: 'outgoing' });
  await expect(page.getByTestId('conversations-total')).toHaveText(
    /^0 conversations/,
  );

  // Without the phone: all calls of 1 s..10 min, the same total as the API, sorted by duration.
  const range = { minDuration: 1, maxDuration: 600 };
  await searchConversations(page, {
    phone: '',
    direction: '',
    minDuration: '1',
  });
  const all = await listConversations(request, aliceToken, range);
  expect(all.total).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId('conversations-total')).toHaveText(
    new RegExp(`^${all.total} conversations`),
  );
  await page.getByTestId('sort-durationMs').click();
  const byDurationDesc = await listConversations(request, aliceToken, {
    ...range,
    sort: 'durationMs',
    order: 'desc',
    limit: 50,
  });
  await expect
    .poll(() => shownConversationIds(page))
    .toEqual(byDurationDesc.items.map(c => c.id));
  const durations = byDurationDesc.items.map(c => c.durationMs ?? 0);
  expect(durations).toEqual([...durations].sort((a, b) => b - a));
  await page.getByTestId('sort-durationMs').click();
  const byDurationAsc = await listConversations(request, aliceToken, {
    ...range,
    sort: 'durationMs',
    order: 'asc',
    limit: 50,
  });
  await expect
    .poll(() => shownConversationIds(page))
    .toEqual(byDurationAsc.items.map(c => c.id));
  // One page holds them all (50 per page): no next page.
  if (all.total <= 50) {
    await expect(
      page.getByRole('button', { name: 'Next page' }),
    ).toBeDisabled();
  } else {
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect(page.getByTestId('conversations-page')).toHaveText('Page 2');
  }

  // Export the DTMF call's search as a ZIP.
  await searchConversations(page, {
    phone: '0033 6 12 34 56 78',
    minDuration: '',
  });
  await expect(page.getByTestId('conversations-total')).toHaveText(
    /^1 conversation\b/,
  );
  const zip = await downloadOf(page, () =>
    page.getByRole('button', { name: 'Export selection (ZIP)' }).click(),
  );
  expect(zip.name).toMatch(/\.zip$/);
  expect(zip.bytes.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
  const entries = readZip(zip.bytes);
  const names = entries.map(e => e.name);
  expect(names).toEqual(
    expect.arrayContaining(['manifest.csv', 'manifest.json', 'SHA256SUMS']),
  );
  const audio = entries.filter(e => e.name.startsWith('audio/'));
  expect(audio).toHaveLength(1);
  expect(audio[0].name).toMatch(/_\+32470123456_\+33612345678\.ogg$/);
  expect(audio[0].data.subarray(0, 4).toString('latin1')).toBe('OggS');
  const sums = entries
    .find(e => e.name === 'SHA256SUMS')!
    .data.toString('utf8')
    .trim()
    .split('\n')
    .map(l => /^([0-9a-f]{64}) [ *](.+)$/.exec(l)!)
    .map(m => [m[2], m[1]]);
  const sumsByName = Object.fromEntries(sums);
  for (const e of entries.filter(x => x.name !== 'SHA256SUMS')) {
    expect(sumsByName[e.name], `SHA256SUMS line of ${e.name}`).toBe(
      createHash('sha256').update(e.data).digest('hex'),
    );
  }
  expect(sumsByName[audio[0].name]).toBe(dtmfCall.sha256);
  const manifest = entries
    .find(e => e.name === 'manifest.csv')!
    .data.toString('utf8');
  expect(manifest).toContain(dtmfCall.id);

  // Open it: waveform with both parties, DTMF markers, MP3 download.
  await page.getByTestId(`conversation-row-${dtmfCall.id}`).click();
  await expect(page.getByTestId('conversation-title')).toContainText(
    '+33612345678',
  );
  const waveform = page.getByTestId('waveform');
  await expect(waveform).toBeVisible();
  expect(await waveform.evaluate(el => el.tagName)).toBe('CANVAS');
  await expect(page.getByTestId('waveform-label-recorded')).toContainText(
    BOB_NUMBER,
  );
  await expect(page.getByTestId('waveform-label-other')).toContainText(
    '+33612345678',
  );
  const markers = page.getByTestId('dtmf-marker');
  await expect(markers).toHaveCount(5);
  expect(await markers.allTextContents()).toEqual(['4', '7', '1', '1', '#']);

  const mp3 = await downloadOf(page, () =>
    page.getByRole('button', { name: 'Download MP3' }).click(),
  );
  // Documented pattern: 2026-11-25_1030_+32470123456_+32471234567.mp3 (local time).
  expect(mp3.name).toMatch(
    /^\d{4}-\d{2}-\d{2}_\d{4}_\+32470123456_\+33612345678\.mp3$/,
  );
  expect(mp3.bytes.subarray(0, 3).toString('latin1')).toBe('ID3');
  expect(mp3.bytes.length).toBeGreaterThan(10_000);

  // Access history: Bob's playback and Alice's download (and export).
  const history = page.getByTestId('access-history');
  // (people by display name, or by ref where the catalog is not asked; actions by label)
  const historyRow = (who: RegExp, action: string) =>
    history
      .getByTestId('access-history-row')
      .filter({ hasText: who })
      .filter({ hasText: action });
  await expect(
    historyRow(/Bob Peeters|user:default\/bob/, 'Played').first(),
  ).toBeVisible();
  await expect(
    historyRow(/Alice Martin|user:default\/alice/, 'Downloaded').first(),
  ).toBeVisible();
  await expect(
    historyRow(/Alice Martin|user:default\/alice/, 'Exported').first(),
  ).toBeVisible();

  // Audit page: filter by action (and the conversation), then export the CSV.
  await sectionTab(page, 'Audit').click();
  const auditForm = page.getByRole('form', { name: 'Filter audit trail' });
  await chooseOption(auditForm, 'Action', 'Downloaded');
  await auditForm.getByLabel('Target').fill(dtmfCall.id);
  await auditForm.getByRole('button', { name: 'Search', exact: true }).click();
  const auditRows = page.getByTestId('audit-table').getByTestId(/^audit-row-/);
  // [sentence, action] of each row shown (polled: the previous rows stay on screen
  // while a new search loads).
  const shownAudit = () =>
    auditRows.evaluateAll(rows =>
      rows.map(r =>
        [...r.querySelectorAll('td')]
          .slice(1, 3)
          .map(td => td.textContent ?? '')
          .join(' | '),
      ),
    );
  const callLabel = new RegExp(
    `conversation \\+33612345678 → \\${BOB_NUMBER} \\(\\d+:\\d{2}\\)`,
  );
  const shownWith = async (who: string, verb: string, action: string) =>
    (await shownAudit()).some(
      row =>
        row.startsWith(`${who} ${verb} `) &&
        callLabel.test(row) &&
        row.endsWith(` | ${action}`),
    );
  await expect
    .poll(
      () => shownWith('Alice Martin', 'downloaded', 'conversation-download'),
      {
        message: 'audit rows: downloads of the DTMF call',
      },
    )
    .toBe(true);
  for (const row of await shownAudit()) {
    expect(row).toMatch(/ \| conversation-download$/);
  }

  await chooseOption(auditForm, 'Action', 'Played');
  await auditForm.getByRole('button', { name: 'Search', exact: true }).click();
  await expect
    .poll(() => shownWith('Bob Peeters', 'played', 'conversation-playback'), {
      message: 'audit rows: playbacks of the DTMF call',
    })
    .toBe(true);
  for (const row of await shownAudit()) {
    expect(row).toMatch(/ \| conversation-playback$/);
  }

  // CSV of the whole trail of that conversation (no action filter).
  await chooseOption(auditForm, 'Action', 'All actions');
  await auditForm.getByRole('button', { name: 'Search', exact: true }).click();
  const csv = await downloadOf(page, () =>
    auditForm.getByRole('button', { name: 'Export CSV' }).click(),
  );
  expect(csv.name).toMatch(/\.csv$/);
  const lines = csv.bytes.toString('utf8').trim().split(/\r?\n/);
  expect(lines[0]).toMatch(
    /^"?at"?,"?actor"?,"?action"?,"?targetType"?,"?targetId"?,"?outcome"?,"?details"?,"?seq"?,"?hash"?$/,
  );
  const has = (actor: string, action: string) =>
    lines.some(
      l =>
        l.includes(actor) &&
        l.includes(`,${action},`) &&
        l.includes(dtmfCall.id),
    );
  expect(has('user:default/bob', 'conversation-playback')).toBe(true);
  expect(has('user:default/alice', 'conversation-download')).toBe(true);
  expect(has('user:default/alice', 'conversation-view')).toBe(true);
});

test('a call of a number in private mode is refused with 403 and a Warning, and leaves no conversation', async ({
  page,
  request,
}) => {
  const aliceToken = await tokenOf(request, 'alice');
  const carolToken = await tokenOf(request, 'carol');
  const carol = await apiNumber(request, carolToken, CAROL_NUMBER);
  expect(carol.settings.selfManaged).toBe(true);
  const wasProfessional = carol.settings.activeStatus === 'professional';
  const setProfessional = async (enabled: boolean) => {
    const res = await request.post(
      `${API}/numbers/${carol.id}/professional-mode`,
      { headers: bearer(carolToken), data: { enabled } },
    );
    expect(res.status(), await res.text()).toBe(200);
  };

  const other = uniqueOtherParty();
  const before = await listConversations(request, aliceToken, {
    number: CAROL_NUMBER,
  });
  let call;
  await setProfessional(false);
  try {
    expect((await apiNumber(request, carolToken, CAROL_NUMBER)).status).toBe(
      'private',
    );
    call = await placeSiprecCall({ recorded: CAROL_NUMBER, other });
  } finally {
    if (wasProfessional) await setProfessional(true);
  }
  expect(call.status).toBe(403);
  expect(call.warning).toMatch(/^399 127\.0\.0\.1 ".*private mode.*"$/);

  // No conversation, for anybody: the API (admin) and the admin's search page.
  const after = await listConversations(request, aliceToken, {
    number: CAROL_NUMBER,
  });
  expect(after.total).toBe(before.total);
  expect(
    (await listConversations(request, aliceToken, { phone: other })).total,
  ).toBe(0);
  await signIn(page, 'alice');
  await openVoiceRecording(page);
  await openConversationsTab(page);
  await searchConversations(page, { phone: other });
  await expect(page.getByTestId('conversations-total')).toHaveText(
    /^0 conversations/,
  );
  await expect(page.getByText('No conversations match.')).toBeVisible();
});
