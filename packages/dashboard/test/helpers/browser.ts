import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core: no browser download. */
export const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
const DIST_INDEX = fileURLToPath(new URL('../../dist/index.html', import.meta.url));
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
export const SCREENSHOTS = process.env.HERALD_SCREENSHOTS === '1';

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    assert.fail(`Chromium is not at ${CHROMIUM}: run .ci/run, or apt-get install chromium (or set HERALD_CHROMIUM)`);
  }
  if (!existsSync(DIST_INDEX)) {
    assert.fail('The dashboard is not built: run npm run build -w @herald/dashboard (or npm run build) first');
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page that records every console error and page error: tests end with
 * `problems.assertClean()`. `expect(pattern)` allows one known message (an expected 401).
 */
export class WatchedPage {
  readonly problems: string[] = [];
  private allowed: RegExp[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (m) => {
      if (m.type() === 'error' && !this.allowed.some((r) => r.test(m.text()))) this.problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
  }

  static async open(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
    const context = await browser.newContext({ viewport, reducedMotion: 'reduce', locale: 'en-GB', timezoneId: 'UTC' });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    return new WatchedPage(context, page);
  }

  allow(pattern: RegExp): void {
    this.allowed.push(pattern);
  }

  assertClean(): void {
    assert.deepEqual(this.problems, [], 'no console or page errors');
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** Signs in at the dashboard's sign-in form with an API key (or a portal token). */
export async function signIn(page: Page, heraldUrl: string, key: string): Promise<void> {
  await page.goto(`${heraldUrl}/`);
  await page.getByLabel('API key').fill(key);
  await page.keyboard.press('Enter');
}

/** axe-core on the current screen: no serious or critical violation. */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(report, [], `axe on ${screen}`);
}

/**
 * Nothing wider than the viewport: no sideways scrolling on a phone. Charts re-measure on
 * resize (ResizeObserver), so the check waits up to 2 s for the layout to settle.
 */
export async function assertNoHorizontalOverflow(page: Page, screen: string): Promise<void> {
  const measure = () =>
    page.evaluate(() => {
      const w = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > w + 1)
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}.${(el as HTMLElement).className}`);
      return { scroll: document.documentElement.scrollWidth, width: w, culprits: wide };
    });
  const until = Date.now() + 2000;
  let m = await measure();
  while (m.scroll > m.width && Date.now() < until) {
    await page.waitForTimeout(100);
    m = await measure();
  }
  assert.ok(m.scroll <= m.width, `${screen} scrolls sideways at ${m.width} px (content ${m.scroll} px): ${m.culprits.join(', ')}`);
}

/**
 * Writes docs/screenshots/<name>.png when HERALD_SCREENSHOTS=1 (normal runs leave them
 * alone), scrolled so `top` (else the page's top) is at the top of the 1280×800 view.
 */
export async function screenshot(page: Page, name: string, top?: Locator): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  if (top) await top.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 16));
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: false });
}
