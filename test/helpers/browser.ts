// Real Chromium for the dashboard tests and benchmarks: Debian's `chromium` (CHROMIUM_PATH or the
// one on PATH) driven by playwright-core; Playwright's own browser download is never used.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      /* next */
    }
  }
  throw new Error('no Chromium found: install Debian\'s "chromium" package or set CHROMIUM_PATH');
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** The built dashboard, (re)built if missing (npm install builds it; a fresh checkout may not have). */
export function ensureDashboardBuilt(): void {
  const root = path.resolve(__dirname, '..', '..');
  if (!fs.existsSync(path.join(root, 'dashboard', 'dist', 'index.html')))
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-dashboard.js')], { stdio: 'inherit' });
}

/** A new browser context (its own cookies) signed in with the key. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  apiKey: string,
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport });
  const page = await context.newPage();
  await page.goto('/ui');
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  return { context, page };
}
