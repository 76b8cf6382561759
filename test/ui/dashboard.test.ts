// The dashboard in real Chromium against a real stack (Temporal dev server, workers, the API):
// sign-in, the jobs list, a job's DAG following its stream live, pause-now/resume, the log
// following, plots, the submit page's errors, tenant isolation, sign-out, keyboard and a narrow
// window. Writes docs/screenshots/job-running.png and job-completed.png (the README shows them).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { KEYS, irisPipeline, startApiStack, type ApiStack } from '../helpers/api-stack';
import { ensureDashboardBuilt, launchBrowser, signedInPage } from '../helpers/browser';

let s: ApiStack;
let browser: Browser;

beforeAll(async () => {
  ensureDashboardBuilt();
  [s, browser] = await Promise.all([startApiStack(), launchBrowser()]);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

async function submit(key: string, spec: object): Promise<string> {
  const res = await fetch(`${s.api.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test('when alice signs in with her key, then the jobs page lists her jobs and the key is in no URL', async () => {
  const id = await submit(KEYS.alice, irisPipeline('ui-list'));
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.getByRole('link', { name: 'ui-list' }).first().waitFor();
  await page.reload();
  await page.getByRole('link', { name: 'ui-list' }).first().waitFor();
  expect(await page.locator('header.top').innerText()).toContain('alice');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'ty_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  expect(urls.length).toBeGreaterThan(0);
  for (const u of urls) expect(u).not.toContain(KEYS.alice);
  expect(await page.evaluate(() => (globalThis as any).document.cookie)).not.toContain('ty_session');
  await page.getByRole('link', { name: 'ui-list' }).first().click();
  await page.getByRole('heading', { name: 'ui-list' }).waitFor();
  expect(page.url()).toContain(`/ui/jobs/${id}`);
  await context.close();
});

test('when a job runs with its page open, then its DAG moves from waiting through running to completed live, without a reload', async () => {
  // The first node takes ~6 s, so the page is open before train starts (even on a loaded machine).
  const spec = irisPipeline('ui-live');
  spec.nodes[0] = {
    id: 'data',
    type: 'command',
    config: { command: ['node', '-e', 'setTimeout(()=>{},6000)'] },
  } as never;
  spec.nodes[1] = { id: 'split', type: 'dataset', dependsOn: ['data'], config: { name: 'iris' } } as never;
  spec.nodes[2] = { id: 'prep', type: 'split', dependsOn: ['split'], config: { testSize: 0.2 } } as never;
  spec.nodes.splice(3, 0, { id: 'pre', type: 'preprocess', dependsOn: ['prep'] } as never);
  (spec.nodes[4] as { dependsOn: string[] }).dependsOn = ['pre'];
  const id = await submit(KEYS.alice, spec);
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  await page.goto(`/ui/jobs/${id}`);
  const train = page.getByRole('button', { name: /^train: / });
  await train.waitFor();
  // Record every status the train vertex shows, in this one document.
  await page.evaluate(() => {
    const w = globalThis as any;
    const document = w.document;
    w.seen = [];
    w.marker = 42;
    const el = () => document.querySelector('[data-vertex="train"]');
    const note = () => {
      const s = el()?.getAttribute('data-status');
      if (s && w.seen[w.seen.length - 1] !== s) w.seen.push(s);
    };
    note();
    new w.MutationObserver(note).observe(document.body, {
      subtree: true,
      attributes: true,
      attributeFilter: ['data-status'],
    });
  });
  await page.getByRole('button', { name: 'train: running' }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'train: completed' }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'eval: completed' }).waitFor({ timeout: 60_000 });
  const { seen, marker } = await page.evaluate(() => ({
    seen: (globalThis as any).seen as string[],
    marker: (globalThis as any).marker as number,
  }));
  expect(marker).toBe(42); // the same document: no reload
  expect(['pending', 'queued']).toContain(seen[0]);
  expect(seen.indexOf('running')).toBeGreaterThan(0);
  expect(seen.indexOf('completed')).toBeGreaterThan(seen.indexOf('running'));
  await page.getByText('completed', { exact: true }).first().waitFor();
  await context.close();
});

const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

/** A pipeline whose train runs long enough (~60 s) to be paused, resumed and cancelled. */
function longTrain(name: string) {
  const spec = irisPipeline(name);
  spec.nodes[3] = {
    id: 'train',
    type: 'train',
    dependsOn: ['prep'],
    config: { model: 'mlp', epochs: 600, hiddenLayers: [8], epochDelayMs: 100, checkpointEvery: 5 },
    // Cancellation (pause now) reaches an activity with its next heartbeat, throttled to 0.8 × this.
    timeout: { heartbeat: '2s' },
  } as never;
  return spec;
}

const jobBadge = (page: Page) => page.locator('.job-status .status').first();

test('when a running job is paused now, resumed and cancelled, then the page shows each state from the API, and a refused action shows its reason', async () => {
  const id = await submit(KEYS.alice, longTrain('ui-pause'));
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  await page.goto(`/ui/jobs/${id}`);
  await page.getByRole('button', { name: 'train: running' }).waitFor({ timeout: 60_000 });
  // The loss curve draws from the stream while train runs; this is the README's "running" picture.
  await page.getByRole('button', { name: 'train: running' }).click();
  await page.getByRole('img', { name: /^Loss curve: ([1-9]\d+) points/ }).waitFor({ timeout: 30_000 });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'job-running.png') });

  // Resume while running: the workflow refuses; the page says why and changes nothing.
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Resume refused:' });
  await alert.waitFor();
  expect(await alert.innerText()).toMatch(/Resume refused: .+/);
  expect(await jobBadge(page).innerText()).toBe('running');

  await page.getByRole('button', { name: 'Pause now' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Pause now: / })
    .waitFor();
  await page.getByRole('button', { name: 'train: paused' }).waitFor({ timeout: 30_000 });
  await expectText(jobBadge(page), 'paused');
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Resume: / })
    .waitFor();
  await page.getByRole('button', { name: 'train: running' }).waitFor({ timeout: 30_000 });
  await expectText(jobBadge(page), 'running');
  // Cancel asks first; "Keep it" does nothing, the confirmation cancels.
  await page.getByRole('button', { name: 'Cancel job…' }).click();
  await page.getByRole('button', { name: 'Keep it' }).click();
  expect(await jobBadge(page).innerText()).toBe('running');
  await page.getByRole('button', { name: 'Cancel job…' }).click();
  await page.getByRole('button', { name: 'Yes, cancel the job' }).click();
  await expectText(jobBadge(page), 'cancelled');
  await page.getByRole('button', { name: 'train: cancelled' }).waitFor({ timeout: 30_000 });
  await context.close();
});

async function expectText(loc: Locator, text: string): Promise<void> {
  await loc.filter({ hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: 30_000 });
}

test("when a node's log is opened while it runs, then new lines appear as they are printed until it finishes", async () => {
  const script =
    "setTimeout(()=>{let i=0;const t=setInterval(()=>{console.log('line '+(++i));if(i>=10)clearInterval(t);},400);},1500)";
  const id = await submit(KEYS.alice, {
    name: 'ui-log',
    nodes: [{ id: 'run', type: 'command', config: { command: ['node', '-e', script] } }],
  });
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  await page.goto(`/ui/jobs/${id}`);
  await page.getByRole('button', { name: /^run: (queued|running)$/ }).click();
  const log = page.getByLabel('Log output');
  await log.waitFor();
  // A middle line arrives while the node still runs, then the last one, in the same view.
  await page.locator('pre[data-log-state="following"]').filter({ hasText: 'line 2' }).waitFor({ timeout: 30_000 });
  const early = await log.innerText();
  expect(early).not.toContain('line 10');
  await log.filter({ hasText: 'line 10' }).waitFor({ timeout: 30_000 });
  await page.locator('pre[data-log-state="complete"], pre[data-log-state="done"]').waitFor({ timeout: 30_000 });
  expect((await log.innerText()).match(/line \d+/g)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 1}`));
  await context.close();
});

test('when a job with a visualize step has completed, then its plots render as SVG images, the loss curve and metrics show, and the timeline marks the critical path', async () => {
  const spec = irisPipeline('ui-plots');
  spec.nodes.push({ id: 'viz', type: 'visualize', dependsOn: ['eval'] } as never);
  const id = await submit(KEYS.alice, spec);
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  await page.goto(`/ui/jobs/${id}`);
  await page.getByRole('button', { name: 'viz: completed' }).waitFor({ timeout: 90_000 });
  await expectText(jobBadge(page), 'completed');
  await page.getByRole('button', { name: 'viz: completed' }).click();
  const plots = page.getByRole('img', { name: /^plot / });
  await plots.first().waitFor({ timeout: 30_000 });
  await page.waitForFunction(
    () => {
      const imgs = [...(globalThis as any).document.querySelectorAll('.plots img')] as any[];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    undefined,
    { timeout: 30_000 },
  );
  expect(await plots.count()).toBeGreaterThan(0);
  const src = await plots.first().getAttribute('src');
  expect(src).toMatch(new RegExp(`^/v1/jobs/${id}/artifacts/viz/.+\\.svg$`));
  // The timeline: every node has a row, the critical path is named and marked.
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  expect(await page.locator('ol.gantt li').count()).toBe(6);
  expect(await page.locator('ol.gantt li.critical').count()).toBeGreaterThan(1);
  expect(await page.locator('.crit-text').innerText()).toMatch(/^data → .*viz$/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'job-completed.png'), fullPage: true });
  // The train node: its loss curve (from the metrics history) and the metrics table.
  await page.getByRole('button', { name: 'train: completed' }).click();
  await page.getByRole('img', { name: /^Loss curve: \d+ points/ }).waitFor({ timeout: 30_000 });
  await page.locator('table.metrics tbody tr').first().waitFor({ timeout: 30_000 });
  await context.close();
});

test('when a YAML spec with an invalid field is submitted, then the field and its message are shown and no job starts', async () => {
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  const before = await listCount(KEYS.alice);
  await page.getByRole('link', { name: 'Submit' }).click();
  const yaml = [
    'name: bad-yaml',
    'nodes:',
    '  - id: data',
    '    type: dataset',
    '    config: { name: iris }',
    '  - id: split',
    '    type: split',
    '    dependsOn: [data]',
    '  - id: prep',
    '    type: preprocess',
    '    dependsOn: [split]',
    '  - id: train',
    '    type: train',
    '    dependsOn: [prep]',
    '    config:',
    '      model: mlp',
    '      epochs: -5',
  ].join('\n');
  await page.getByLabel('Job spec (YAML or JSON)').fill(yaml);
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  const problems = page.getByRole('alert').filter({ hasText: 'Not submitted' });
  await problems.waitFor();
  const text = await problems.innerText();
  const line = yaml.split('\n').findIndex((l) => l.includes('epochs: -5')) + 1;
  expect(text).toContain(`nodes[3].config.epochs (line ${line}): `);
  expect(await listCount(KEYS.alice)).toBe(before);
  expect(page.url()).toMatch(/\/ui\/submit$/);
  // Fixed, it validates to a plan, and Submit opens the new job's page.
  await page.getByLabel('Job spec (YAML or JSON)').fill(yaml.replace('-5', '3'));
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.getByRole('heading', { name: 'Plan: valid' }).waitFor();
  expect(await page.locator('.plan').innerText()).toContain('Critical path: data → split → prep → train');
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.getByRole('heading', { name: 'bad-yaml' }).waitFor();
  expect(page.url()).toMatch(/\/ui\/jobs\/job-/);
  expect(await listCount(KEYS.alice)).toBe(before + 1);
  await context.close();
});

async function listCount(key: string): Promise<number> {
  const r = await fetch(`${s.api.url}/v1/jobs?pageSize=200`, { headers: { 'x-api-key': key } });
  return ((await r.json()) as { jobs: unknown[] }).jobs.length;
}

test("when alice opens bob's job page or its log, then she is told it is unknown and sees nothing of it", async () => {
  const bobs = await submit(KEYS.bob, irisPipeline('bob-secret'));
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  await page.goto(`/ui/jobs/${bobs}`);
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').innerText()).toMatch(/unknown job|not found/i);
  expect(await page.content()).not.toContain('bob-secret');
  const statuses = await page.evaluate(async (id: string) => {
    const f = (globalThis as any).fetch;
    const get = async (u: string) => (await f(u)).status as number;
    return [
      await get(`/v1/jobs/${id}`),
      await get(`/v1/jobs/${id}/logs?node=data`),
      await get(`/v1/jobs/${id}/events`),
      await get(`/v1/jobs/${id}/artifacts`),
    ];
  }, bobs);
  expect(statuses).toEqual([404, 404, 404, 404]);
  await page.goto('/ui');
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  await page.locator('table.jobs, p').first().waitFor();
  expect(await page.getByRole('link', { name: 'bob-secret' }).count()).toBe(0);
  await context.close();
});

test('when alice signs out, then the sign-in form is back and her old session cookie no longer reads anything', async () => {
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice);
  const cookie = (await context.cookies()).find((c) => c.name === 'ty_session')!;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  expect(await page.evaluate(async () => (await (globalThis as any).fetch('/v1/jobs')).status)).toBe(401);
  const replay = await fetch(`${s.api.url}/v1/jobs`, { headers: { cookie: `ty_session=${cookie.value}` } });
  expect(replay.status).toBe(401);
  await page.goto('/ui/submit');
  await page.getByLabel('API key').waitFor();
  await context.close();
});

test('when the window is narrow and only the keyboard is used, then every node is reachable by Tab and opens with Enter', async () => {
  const id = await submit(KEYS.alice, irisPipeline('ui-keys'));
  const { context, page } = await signedInPage(browser, s.api.url, KEYS.alice, { width: 390, height: 800 });
  await page.goto(`/ui/jobs/${id}`);
  await page.getByRole('button', { name: 'eval: completed' }).waitFor({ timeout: 90_000 });
  const seen: string[] = [];
  for (let i = 0; i < 60 && seen.length < 5; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => {
      const a = (globalThis as any).document.activeElement;
      return (a?.getAttribute('aria-label') ?? `${a?.tagName}:${a?.textContent?.slice(0, 20)}`) as string;
    });
    if (name && /^[a-z]+: completed$/.test(name) && !seen.includes(name)) seen.push(name);
  }
  expect(seen).toEqual([
    'data: completed',
    'split: completed',
    'prep: completed',
    'train: completed',
    'eval: completed',
  ]);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'eval', exact: true }).waitFor();
  const width = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
  expect(width).toBeLessThanOrEqual(390);
  await context.close();
});
