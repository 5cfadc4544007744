/// <reference lib="dom" />
// Debian's chromium driven by playwright-core: never a downloaded browser. The flags keep it
// from reaching the network on its own (updates, sync, QUIC probes) and run it as root in a
// container; each launch gets a fresh profile. DEVELOPERS.md lists the same flags.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.KORA_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the browser tests cannot run here, or null. Under CI=true a missing browser is a failure, not a skip. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed: run scripts/ensure-system-packages.sh (or apt-get install chromium)`;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'kora-chromium-'));
  // bypassCSP: the pages allow no inline script, and axe-core is injected as one.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, bypassCSP: true, timeout: 30_000 });
  context.setDefaultTimeout(10_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The admin UI's origin, from the login link the gateway's boot summary prints. */
export async function adminBase(gateway: { waitFor(pattern: RegExp, ms?: number): Promise<unknown>; stdout(): string }): Promise<string> {
  const link = /admin UI (http:\/\/\S+)\/login/;
  await gateway.waitFor(link, 30_000);
  return link.exec(gateway.stdout())![1]!;
}

/** Log the browser's context in with the admin token, through the login form, as a person would. */
export async function logIn(browser: Browser, base: string, token: string): Promise<void> {
  const page = await browser.context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.waitForURL(`${base}/`);
  await page.close();
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Run axe-core on the page as it is: every WCAG A/AA rule and the best practices. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}
