import { inflateRawSync } from 'node:zlib';
import { APIRequestContext, Page, expect } from '@playwright/test';
import { chooseOption } from './support';

/**
 * Helpers of the conversation browser tests: the conversations API as a given user,
 * the player's `<audio>` element, and a minimal ZIP reader (central directory +
 * stored/deflated entries) to look inside an export.
 */

export interface ApiConversation {
  id: string;
  number: string;
  userRef: string;
  direction?: string;
  otherParty?: string;
  startedAt: string;
  durationMs?: number;
  state: string;
  sipCallId?: string;
  dtmf: Array<{ at: string; digit: string }>;
  sha256?: string;
}

export interface ApiConversationList {
  items: ApiConversation[];
  total: number;
  nextCursor?: string;
}

const BASE = '/api/voice-recording';

export const bearer = (token: string) => ({
  Authorization: `Bearer ${token}`,
});

/** GET /conversations with the given query, as the token's user. */
export async function listConversations(
  request: APIRequestContext,
  token: string,
  query: Record<string, string | number>,
): Promise<ApiConversationList> {
  const params = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)]),
  );
  const res = await request.get(`${BASE}/conversations?${params}`, {
    headers: bearer(token),
  });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as ApiConversationList;
}

/** PATCH /numbers/:id settings as an admin (throws on non-200). */
export async function patchNumberSettings(
  request: APIRequestContext,
  token: string,
  id: string,
  settings: Record<string, unknown>,
) {
  const res = await request.patch(`${BASE}/numbers/${id}`, {
    headers: bearer(token),
    data: { settings },
  });
  expect(res.status(), await res.text()).toBe(200);
  return res.json();
}

/** A unique Belgian mobile number of the other party: +32478 and six digits. */
export function uniqueOtherParty(): string {
  const six = String(
    (Date.now() * 7 + Math.floor(Math.random() * 1000)) % 1_000_000,
  ).padStart(6, '0');
  return `+32478${six}`;
}

/** Opens the Conversations tab (the plugin page must be open). */
export async function openConversationsTab(page: Page) {
  await page
    .getByRole('tablist', { name: 'Voice recording sections' })
    .getByRole('tab', { name: 'Conversations', exact: true })
    .click();
  await expect(page).toHaveURL(/\/voice-recording\/conversations$/);
  await expect(page.getByTestId('conversations-total')).toBeVisible();
}

export const searchForm = (page: Page) =>
  page.getByRole('form', { name: 'Search conversations' });

/** Fills the given fields of the search form (by label), submits, and waits for the answer. */
export async function searchConversations(
  page: Page,
  fields: {
    phone?: string;
    direction?: 'incoming' | 'outgoing' | '';
    minDuration?: string;
    maxDuration?: string;
  },
) {
  const form = searchForm(page);
  if (fields.phone !== undefined) {
    await form.getByLabel('Phone number').fill(fields.phone);
  }
  if (fields.direction !== undefined) {
    await chooseOption(
      form,
      'Direction',
      { '': 'Any', incoming: 'Incoming', outgoing: 'Outgoing' }[
        fields.direction
      ],
    );
  }
  if (fields.minDuration !== undefined) {
    await form.getByLabel('Min duration (s)').fill(fields.minDuration);
  }
  if (fields.maxDuration !== undefined) {
    await form.getByLabel('Max duration (s)').fill(fields.maxDuration);
  }
  await form.getByRole('button', { name: 'Search', exact: true }).click();
}

/** Ids of the result rows, in display order. */
export async function shownConversationIds(page: Page): Promise<string[]> {
  return page
    .getByTestId(/^conversation-row-/)
    .evaluateAll(rows =>
      rows.map(r =>
        (r.getAttribute('data-testid') ?? '').replace('conversation-row-', ''),
      ),
    );
}

/** State of the player's `<audio>` element. */
export async function audioState(page: Page) {
  return page.getByTestId('player-audio').evaluate(el => {
    const a = el as HTMLAudioElement;
    return {
      currentTime: a.currentTime,
      duration: a.duration,
      paused: a.paused,
      ended: a.ended,
      playbackRate: a.playbackRate,
      src: a.currentSrc,
      error: a.error?.code,
    };
  });
}

export interface PlaybackStart {
  /** From the click on Play to the `<audio>` element's `playing` event, in ms. */
  clickToPlayingMs: number;
  /** Media events after the click (ms from the click), in order. */
  events: Array<[string, number]>;
  /** Resource timing of the audio request, ms from the click (when the browser reports it). */
  request?: { start: number; firstByte: number; end: number; bytes: number };
}

/**
 * Clicks Play and measures, inside the page, the time from the click (capture-phase
 * listener on the button) to the `<audio>` element's `playing` event, with the media
 * events and the audio request's timing in between.
 */
export async function clickPlayAndMeasure(page: Page): Promise<PlaybackStart> {
  type Probe = {
    click?: number;
    playing?: number;
    events: Array<[string, number]>;
  };
  await page.getByTestId('player-audio').evaluate(el => {
    const w = window as unknown as { __mvrPlay?: Probe };
    const probe: Probe = { events: [] };
    w.__mvrPlay = probe;
    for (const type of [
      'loadstart',
      'loadedmetadata',
      'loadeddata',
      'canplay',
      'play',
      'waiting',
      'playing',
    ]) {
      el.addEventListener(type, () => {
        const now = performance.now();
        probe.events.push([type, now]);
        if (type === 'playing' && probe.playing === undefined)
          probe.playing = now;
      });
    }
    document.querySelector('[data-testid="play-button"]')?.addEventListener(
      'click',
      () => {
        probe.click = performance.now();
      },
      { capture: true, once: true },
    );
  });
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  const handle = await page.waitForFunction(() => {
    const m = (window as unknown as { __mvrPlay?: Probe }).__mvrPlay;
    if (m?.click === undefined || m?.playing === undefined) return undefined;
    const click = m.click;
    const entry = performance
      .getEntriesByType('resource')
      .filter(e => /\/conversations\/[^/]+\/audio/.test(e.name))
      .pop() as PerformanceResourceTiming | undefined;
    return {
      clickToPlayingMs: m.playing - click,
      events: m.events.map(([t, at]) => [t, Math.round(at - click)]),
      request: entry
        ? {
            start: Math.round(entry.startTime - click),
            firstByte: Math.round(entry.responseStart - click),
            end: Math.round(entry.responseEnd - click),
            bytes: entry.encodedBodySize,
          }
        : undefined,
    };
  });
  return (await handle.jsonValue()) as PlaybackStart;
}

/* ------------------------------------------------------------------ ZIP */

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  data: Buffer;
}

/**
 * Reads a ZIP file from its end of central directory record: every entry's name and
 * uncompressed content (stored or deflated). Enough for the export's small archives
 * (no ZIP64, no encryption).
 */
export function readZip(zip: Buffer): ZipEntry[] {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (
    let i = zip.length - 22;
    i >= Math.max(0, zip.length - 22 - 65535);
    i--
  ) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new Error('not a ZIP: no end of central directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) {
      throw new Error(`bad central directory header at ${p}`);
    }
    const method = zip.readUInt16LE(p + 10);
    const crc32 = zip.readUInt32LE(p + 16);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;

    if (zip.readUInt32LE(local) !== 0x04034b50) {
      throw new Error(`bad local header of ${name}`);
    }
    const start =
      local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`${name}: unsupported compression method ${method}`);
    if (data.length !== size) {
      throw new Error(
        `${name}: ${data.length} bytes inflated, ${size} expected`,
      );
    }
    entries.push({ name, method, crc32, compressedSize, size, data });
  }
  return entries;
}
