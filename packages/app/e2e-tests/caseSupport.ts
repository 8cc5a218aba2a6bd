import path from 'node:path';
import { APIRequestContext, Locator, Page, expect } from '@playwright/test';
import { apiNumber, escapeRegExp } from './support';
import {
  bearer,
  listConversations,
  patchNumberSettings,
  uniqueOtherParty,
} from './conversationSupport';
import { placeSiprecCall } from './siprecCaller';

/**
 * Helpers of the browser tests of cases, access requests and four-eyes: real calls of a
 * number placed on the recorder, the API's answers for a user, and the documentation's
 * screenshots of the workflow.
 */

const API = '/api/voice-recording';

/**
 * Places `count` real SIPREC calls of a recorded number (each with a new other party),
 * recording at any time of day for the calls (Manual + Professional, put back after),
 * and waits until the recorder has registered each one. Returns the conversations' ids
 * and other parties, in the order placed.
 */
export async function placeRecordedCalls(
  request: APIRequestContext,
  adminToken: string,
  number: string,
  count: number,
): Promise<Array<{ id: string; otherParty: string }>> {
  const n = await apiNumber(request, adminToken, number);
  const original = {
    statusMode: n.settings.statusMode,
    activeStatus: n.settings.activeStatus,
  };
  const others: string[] = [];
  await patchNumberSettings(request, adminToken, n.id, {
    statusMode: 'manual',
    activeStatus: 'professional',
  });
  try {
    for (let i = 0; i < count; i++) {
      let other = uniqueOtherParty();
      while (others.includes(other)) other = uniqueOtherParty();
      const call = await placeSiprecCall({ recorded: number, other });
      expect(
        call.status,
        `INVITE for ${number} answered ${call.status} ${call.warning ?? ''}`,
      ).toBe(200);
      others.push(other);
    }
  } finally {
    await patchNumberSettings(request, adminToken, n.id, original);
  }
  const calls: Array<{ id: string; otherParty: string }> = [];
  for (const other of others) {
    let id = '';
    await expect
      .poll(
        async () => {
          const list = await listConversations(request, adminToken, {
            phone: other,
          });
          id = list.items[0]?.id ?? '';
          return list.items.map(c => c.state);
        },
        { message: `the call of ${number} with ${other}`, timeout: 30_000 },
      )
      .toEqual(['finished']);
    calls.push({ id, otherParty: other });
  }
  return calls;
}

/** The HTTP status of a GET on the API as the token's user (e.g. a call's audio). */
export async function apiStatus(
  request: APIRequestContext,
  token: string,
  apiPath: string,
): Promise<number> {
  const res = await request.get(`${API}${apiPath}`, { headers: bearer(token) });
  return res.status();
}

export interface ApiCase {
  id: string;
  title: string;
  status: string;
  label: { id: string; title: string; colour: string };
}

/** The case of that title as an admin sees it (GET /cases). */
export async function caseByTitle(
  request: APIRequestContext,
  token: string,
  title: string,
): Promise<ApiCase> {
  const res = await request.get(`${API}/cases`, { headers: bearer(token) });
  expect(res.status(), await res.text()).toBe(200);
  const found = ((await res.json()).items as ApiCase[]).filter(
    c => c.title === title,
  );
  expect(found, `the case "${title}"`).toHaveLength(1);
  return found[0];
}

/**
 * Expects a label chip titled `title` in the scope (list row, call page, form) in the
 * label's colour: its `data-colour` and its computed background.
 */
export async function expectChip(
  scope: Page | Locator,
  title: string,
  colour: string,
) {
  const chip = scope
    .getByTestId('label-chip')
    .filter({ hasText: new RegExp(`^${escapeRegExp(title)}$`) })
    .first();
  await expect(chip).toBeVisible();
  await expect(chip).toHaveAttribute('data-colour', colour);
  await expect(chip).toHaveCSS('background-color', rgbOf(colour));
}

/** `#rrggbb` → `rgb(r, g, b)` (a computed style's form). */
export function rgbOf(hex: string): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgb(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255})`;
}

/**
 * Documentation screenshots (docs/images/<name>.png, docs/cases.md), taken by the
 * browser tests of the workflow only when MVR_DOCS_SCREENSHOTS=1 (scripts/screenshots.sh
 * sets it), so that a test run never rewrites the docs.
 */
export const DOCS_SCREENSHOTS = process.env.MVR_DOCS_SCREENSHOTS === '1';

export async function docsScreenshot(page: Page, name: string) {
  if (!DOCS_SCREENSHOTS) return;
  // let people's names, chips and fonts settle
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({
    path: path.resolve(__dirname, '../../../docs/images', `${name}.png`),
    animations: 'disabled',
    caret: 'hide',
  });
}
