// a devDependency of the repository root, as @playwright/test (the browser tests run from there)
// eslint-disable-next-line @backstage/no-undeclared-imports
import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';

/**
 * The accessibility checks of the browser tests (accessibility.test.ts,
 * cases-accessibility.test.ts): axe-core's serious and critical violations of what the
 * page shows now, and what scrolls sideways at 1280 and 1024 px.
 */

export interface Found {
  page: string;
  rule: string;
  impact: string;
  help: string;
  nodes: string[];
}

/**
 * Left out of the scan: the app shell's Notifications item of the sidebar
 * (@backstage/plugin-notifications 0.6.0, not this project's code). With unread
 * notifications it shows their count in a grid inside the link, whose name stays
 * "Notifications" (axe: label-content-name-mismatch); the plugin's pages are checked.
 */
const NOT_THE_PLUGINS =
  'nav[aria-label="sidebar nav"] a[href="/notifications"]';

export async function violationsOf(page: Page, name: string): Promise<Found[]> {
  // let late requests (people's names, waveforms) settle before the scan
  await page.waitForLoadState('networkidle');
  const results = await new AxeBuilder({ page })
    .exclude(NOT_THE_PLUGINS)
    .analyze();
  return results.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({
      page: name,
      rule: v.id,
      impact: v.impact ?? '',
      help: `${v.help} (${v.helpUrl})`,
      nodes: v.nodes.map(
        n =>
          `${n.target.join(' ')}: ${(n.failureSummary ?? '')
            .replace(/\s+/g, ' ')
            .trim()}`,
      ),
    }));
}

/**
 * Sideways scroll (issue 16): at 1280 px nothing scrolls sideways, neither the page nor a
 * box in it; at 1024 px the page does not (a wide table may scroll inside its box, which
 * keeps the page usable). Says what is too wide, by how much; the window goes back to its
 * size after.
 */
export async function overflowOf(page: Page, name: string): Promise<string[]> {
  const size = page.viewportSize();
  const found: string[] = [];
  for (const width of [1280, 1024]) {
    await page.setViewportSize({ width, height: 800 });
    const inner = width >= 1280;
    // the page itself, and any box of it that scrolls sideways (the app's content area
    // scrolls on its own, so the page's width alone would not show an overflow there)
    const wide = await page.evaluate(boxes => {
      const out: string[] = [];
      const root = document.documentElement;
      if (root.scrollWidth > root.clientWidth)
        out.push(`page ${root.scrollWidth - root.clientWidth} px`);
      const all = boxes ? Array.from(document.querySelectorAll('body *')) : [];
      for (const el of all) {
        const x = getComputedStyle(el).overflowX;
        if (
          (x === 'auto' || x === 'scroll') &&
          el.scrollWidth > el.clientWidth + 1
        ) {
          const id = el.getAttribute('data-testid') ?? el.className;
          out.push(
            `${el.tagName.toLowerCase()} "${id}" ${
              el.scrollWidth - el.clientWidth
            } px`,
          );
        }
      }
      return out;
    }, inner);
    for (const w of wide) found.push(`${name} at ${width} px: ${w} too wide`);
  }
  if (size) await page.setViewportSize(size);
  return found;
}

export function print(user: string, found: Found[]): string {
  return found
    .map(
      f =>
        `[${user}] ${f.page}: ${f.rule} (${f.impact}) ${f.help}\n${f.nodes
          .map(n => `    ${n}`)
          .join('\n')}`,
    )
    .join('\n');
}
