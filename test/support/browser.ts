import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './processes';

/**
 * Debian's Chromium (never a downloaded one): its headless shell (package
 * chromium-headless-shell) when installed, the same engine and version without the browser's
 * window code, as Playwright itself runs headless tests; else the full browser in headless mode.
 * The dashboard suite took 70 s of the browser's CPU in the full browser, 21 s in the shell.
 * CHROMIUM_PATH names another.
 */
const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ??
  ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((path) => existsSync(path)) ??
  '/usr/bin/chromium';

/** Where screenshots go: kept after the run, ignored by git. */
const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Headless Chromium, driven by playwright-core through an explicit executable path. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium-headless-shell (or set CHROMIUM_PATH)`,
    );
  // Root (as in CI) needs --no-sandbox.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

/** Saves a full-page screenshot as a test artifact; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(ARTIFACTS, 'dashboard');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * axe-core's violations on the page as it is now, with their impact. The page's policy forbids
 * inline scripts: open it in a context with `bypassCSP: true` to inject axe.
 */
export async function axeViolations(
  page: Page,
): Promise<{ id: string; impact: string | null; nodes: number; help: string }[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- axe ships its browser source as a string
  const axe = require('axe-core') as { source: string };
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async () => {
    const result = await (
      globalThis as unknown as {
        axe: {
          run(): Promise<{
            violations: { id: string; impact: string | null; nodes: unknown[]; help: string }[];
          }>;
        };
      }
    ).axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      help: v.help,
    }));
  });
}
