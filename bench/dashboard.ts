// The dashboard in headless Chromium (Debian's chromium through playwright-core):
// 1) page load of large jobs, served by a stand-in API (real built dashboard, synthesized JobView and
//    SSE stream): a 1,000-node sweep (collapsed), a 1,000-node irregular DAG (nothing collapses), and
//    a 10,000-node sweep (collapsed groups) — time to first DAG, to the worker's layout, to
//    interactive (no long task in the 500 ms after), and the longest main-thread task (longtask API);
// 2) the 10,000-node page while 100 nodes per second change state on its stream: the longest task;
// 3) the real API (Temporal dev server, workers) streaming one running job to 50 open job pages
//    (50 sessions, each reading the job and its spec and holding its event stream): the API
//    process's CPU and memory against the same job with no page open.
/* eslint-disable @typescript-eslint/no-explicit-any -- page.evaluate bodies run in the browser, typed loosely here (no DOM lib in this project) */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Browser } from 'playwright-core';
import type { JobView, NodeView, StreamMessage } from '../src/http/contracts';
import { jobLinks } from '../src/http/contracts';
import { KEYS, irisPipeline, startApiStack } from '../test/helpers/api-stack';
import { ensureDashboardBuilt, launchBrowser } from '../test/helpers/browser';
import { printTable, writeResult, type BenchOptions } from './lib/report';

const DIST = path.resolve(__dirname, '..', 'dashboard', 'dist');

type Shape = { id: string; type: NodeView['type']; dependsOn: string[] }[];

function sweepShape(branches: number, width: number): Shape {
  const nodes: Shape = [];
  const evals: string[] = [];
  for (let b = 0; b < branches; b++) {
    nodes.push({ id: `data-${b}`, type: 'dataset', dependsOn: [] });
    nodes.push({ id: `prep-${b}`, type: 'preprocess', dependsOn: [`data-${b}`] });
    for (let i = 0; i < width; i++) nodes.push({ id: `train-${b}-${i}`, type: 'train', dependsOn: [`prep-${b}`] });
    for (let i = 0; i < width; i++) {
      nodes.push({ id: `eval-${b}-${i}`, type: 'evaluate', dependsOn: [`train-${b}-${i}`] });
      evals.push(`eval-${b}-${i}`);
    }
  }
  nodes.push({ id: 'select', type: 'select', dependsOn: evals });
  return nodes;
}

/** Deterministic pseudo-random DAG: each node hangs from 1–2 of the 40 before it; types rotate. */
function irregularShape(n: number): Shape {
  const types: NodeView['type'][] = ['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'command'];
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const nodes: Shape = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    if (i > 0)
      for (let k = 0; k < 1 + Math.floor(rnd() * 2); k++) deps.add(`n${Math.max(0, i - 1 - Math.floor(rnd() * 40))}`);
    nodes.push({ id: `n${i}`, type: types[Math.floor(rnd() * types.length)]!, dependsOn: [...deps] });
  }
  return nodes;
}

function viewOf(id: string, shape: Shape): JobView {
  const now = new Date().toISOString();
  const nodes: NodeView[] = shape.map((s, i) => ({
    ...s,
    status: i % 3 === 0 ? 'completed' : i % 3 === 1 ? 'running' : 'pending',
    taskQueue: 'bench-cpu',
    attempts: 1,
    executions: 1,
    ...(i % 3 !== 2 && { startedAt: now }),
    ...(i % 3 === 0 && { completedAt: now, durationMs: 1000 }),
  }));
  return {
    id,
    name: id,
    owner: 'bench',
    status: 'running',
    recoverable: false,
    progress: 33,
    currentNodes: [],
    counts: {},
    recoveryAttempts: 0,
    recoveries: [],
    runs: 1,
    nodes,
    workflow: { runId: 'r', status: 'RUNNING', startTime: now, historyLength: 1 },
    source: 'query',
    links: jobLinks(id),
  };
}

const STATUS_CYCLE: NodeView['status'][] = ['pending', 'queued', 'running', 'completed'];

/** A stand-in API: the built dashboard and synthesized jobs; /events sends the snapshot, then `rate` node changes a second. */
async function standIn(jobs: Record<string, Shape>, rate: { perSecond: number }) {
  const app = express();
  app.get('/v1/session', (_req, res) => {
    res.json({
      owner: 'bench',
      admin: false,
      csrfToken: 'x'.repeat(32),
      expiresAt: new Date(Date.now() + 3.6e6).toISOString(),
    });
  });
  app.use('/ui/assets', express.static(path.join(DIST, 'assets')));
  app.get(/^\/ui(\/.*)?$/, (_req, res) => res.sendFile(path.join(DIST, 'index.html')));
  const views = new Map(Object.entries(jobs).map(([id, shape]) => [id, viewOf(id, shape)]));
  app.get('/v1/jobs/:id', (req, res) => {
    const v = views.get(req.params.id);
    if (!v) return res.status(404).json({ error: { code: 'job_not_found', message: 'unknown job', details: [] } });
    res.json(v);
  });
  app.get('/v1/jobs/:id/spec', (_req, res) =>
    res.status(404).json({ error: { code: 'x', message: 'x', details: [] } }),
  );
  app.get('/v1/jobs/:id/events', (req, res) => {
    const v = views.get(req.params.id)!;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (m: StreamMessage) => res.write(`event: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`);
    send({
      type: 'snapshot',
      job_id: v.id,
      timestamp: new Date().toISOString(),
      status: v.status,
      progress: v.progress,
      data: v,
    });
    let k = 0;
    const timer = setInterval(() => {
      // A batch every 50 ms at the wanted rate.
      const batch = Math.round((rate.perSecond * 50) / 1000);
      for (let j = 0; j < batch; j++) {
        const n = v.nodes[(k++ * 7919) % v.nodes.length]!;
        n.status = STATUS_CYCLE[(STATUS_CYCLE.indexOf(n.status) + 1) % STATUS_CYCLE.length]!;
        send({
          type: 'node_status',
          job_id: v.id,
          timestamp: new Date().toISOString(),
          node_id: n.id,
          status: n.status,
          data: { type: n.type },
        });
      }
    }, 50);
    req.on('close', () => clearInterval(timer));
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

const INIT = () => {
  const w = globalThis as any;
  w.__lt = [] as { start: number; dur: number }[];
  new w.PerformanceObserver((l: any) => {
    for (const e of l.getEntries()) w.__lt.push({ start: e.startTime, dur: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  new w.MutationObserver(() => {
    if (w.__firstDag === undefined && w.document.querySelector('[data-vertex]')) w.__firstDag = w.performance.now();
    if (w.__layoutAt === undefined && w.document.documentElement.dataset.layout) w.__layoutAt = w.performance.now();
  }).observe(w.document, { subtree: true, childList: true, attributes: true });
};

async function pageLoad(browser: Browser, url: string, id: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(INIT);
  await page.goto(`${url}/ui/jobs/${id}`);
  await page.waitForFunction(() => (globalThis as any).__layoutAt !== undefined, undefined, { timeout: 120_000 });
  await page.waitForTimeout(1500);
  const r = await page.evaluate(() => {
    const w = globalThis as any;
    const lt = w.__lt as { start: number; dur: number }[];
    const first = w.__firstDag as number;
    // Interactive: the DAG is drawn and no long task starts within the 500 ms that follow.
    let tti = first;
    for (const t of [...lt].sort((a, b) => a.start - b.start))
      if (t.start < tti + 500) tti = Math.max(tti, t.start + t.dur);
    return {
      firstDagMs: Math.round(first),
      layoutDoneMs: Math.round(w.__layoutAt),
      ttiMs: Math.round(tti),
      longestTaskMs: Math.round(Math.max(0, ...lt.map((t) => t.dur))),
      vertices: w.document.querySelectorAll('[data-vertex]').length,
      engine: w.document.documentElement.dataset.layout as string,
    };
  });
  return { ...r, page, context };
}

async function streamLoad(opts: BenchOptions) {
  const s = await startApiStack({ streamIntervalMs: 250 });
  try {
    const spec = irisPipeline('bench-stream');
    spec.nodes[3] = {
      id: 'train',
      type: 'train',
      dependsOn: ['prep'],
      config: { model: 'mlp', epochs: 5000, hiddenLayers: [8], epochDelayMs: 20, checkpointEvery: 50 },
    } as never;
    const r = await fetch(`${s.api.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': KEYS.alice, 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    const { id } = (await r.json()) as { id: string };
    for (;;) {
      const v = (await (
        await fetch(`${s.api.url}/v1/jobs/${id}`, { headers: { 'x-api-key': KEYS.alice } })
      ).json()) as JobView;
      if (v.nodes.find((n) => n.id === 'train')?.status === 'running') break;
      await new Promise((res) => setTimeout(res, 250));
    }
    const windowMs = opts.quick ? 8000 : 20_000;
    const measure = async () => {
      global.gc?.();
      const c0 = process.cpuUsage();
      const t0 = Date.now();
      let maxRss = 0;
      const sampler = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 250);
      await new Promise((res) => setTimeout(res, windowMs));
      clearInterval(sampler);
      const c = process.cpuUsage(c0);
      const m = process.memoryUsage();
      return {
        cpuPercent: Math.round((1000 * (c.user + c.system)) / 1000 / (Date.now() - t0)) / 10,
        rssMiB: Math.round(maxRss / 2 ** 20),
        heapMiB: Math.round(m.heapUsed / 2 ** 20),
      };
    };
    opts.log('dashboard: stream — baseline (no page open)');
    const idle = await measure();
    // 50 job pages as the API sees them: each signs in (its own session), reads the job and its
    // spec, and holds the job's event stream open with its cookie. (Fifty Chromium tabs on this
    // 2-core machine under the other helpers' load took minutes to open; the server's work per page
    // is the same.)
    const ctrl = new AbortController();
    let bytes = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const signIn = await fetch(`${s.api.url}/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apiKey: KEYS.alice }),
        });
        const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
        const headers = { cookie };
        await (await fetch(`${s.api.url}/v1/jobs/${id}`, { headers })).arrayBuffer();
        await (await fetch(`${s.api.url}/v1/jobs/${id}/spec`, { headers })).arrayBuffer();
        const res = await fetch(`${s.api.url}/v1/jobs/${id}/events`, { headers, signal: ctrl.signal });
        const reader = res.body!.getReader();
        void (async () => {
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              bytes += value.byteLength;
            }
          } catch {
            /* aborted */
          }
        })();
      }),
    );
    const streams = Number(
      /trainyard_stream_clients\{kind="sse"\} (\d+)/.exec(await (await fetch(`${s.api.url}/metrics`)).text())?.[1] ??
        NaN,
    );
    opts.log(`dashboard: stream — 50 pages open (${streams} SSE clients)`);
    const before = bytes;
    const busy = await measure();
    const streamedKiBPerSecond = Math.round((bytes - before) / 1024 / (windowMs / 1000));
    ctrl.abort();
    return { idle, fiftyPages: busy, sseClients: streams, windowMs, streamedKiBPerSecond };
  } finally {
    await s.stop().catch(() => undefined);
  }
}

export async function dashboard(opts: BenchOptions): Promise<Record<string, unknown>> {
  ensureDashboardBuilt();
  fs.mkdirSync(path.resolve(__dirname, 'results'), { recursive: true });
  const rate = { perSecond: 0 };
  const jobs = {
    'sweep-1000': sweepShape(2, 249),
    'irregular-1000': irregularShape(1000),
    'sweep-10000': sweepShape(10, 500),
  };
  const api = await standIn(jobs, rate);
  const browser = await launchBrowser();
  const loads: Record<string, unknown>[] = [];
  let changing: Record<string, unknown> = {};
  try {
    for (const id of Object.keys(jobs)) {
      const runs = opts.quick ? 1 : 3;
      const samples: Awaited<ReturnType<typeof pageLoad>>[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await pageLoad(browser, api.url, id);
        samples.push(r);
        if (id !== 'sweep-10000' || i < runs - 1) await r.context.close();
      }
      const med = (k: 'firstDagMs' | 'layoutDoneMs' | 'ttiMs' | 'longestTaskMs') =>
        samples.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
      loads.push({
        job: id,
        nodes: jobs[id as keyof typeof jobs].length,
        vertices: samples[0]!.vertices,
        engine: samples[0]!.engine,
        firstDagMs: med('firstDagMs'),
        layoutDoneMs: med('layoutDoneMs'),
        ttiMs: med('ttiMs'),
        longestTaskMs: med('longestTaskMs'),
      });
      opts.log(`dashboard: ${id} ${JSON.stringify(loads[loads.length - 1])}`);
      if (id === 'sweep-10000') {
        // The last 10k page stays open: now 100 nodes per second change on its stream.
        const last = samples[samples.length - 1]!;
        await last.page.evaluate(() => ((globalThis as any).__lt.length = 0));
        rate.perSecond = 100;
        // The stand-in starts sending on the next connection: reload the stream by opening a fresh page.
        await last.context.close();
        const fresh = await pageLoad(browser, api.url, id);
        await fresh.page.evaluate(() => ((globalThis as any).__lt.length = 0));
        const seconds = opts.quick ? 5 : 15;
        await fresh.page.waitForTimeout(seconds * 1000);
        const lt = await fresh.page.evaluate(() => (globalThis as any).__lt as { start: number; dur: number }[]);
        changing = {
          job: id,
          changesPerSecond: 100,
          seconds,
          longTasks: lt.length,
          longestTaskMs: Math.round(Math.max(0, ...lt.map((t) => t.dur))),
        };
        rate.perSecond = 0;
        await fresh.context.close();
        opts.log(`dashboard: changing ${JSON.stringify(changing)}`);
      }
    }
    await browser.close();
    const stream = await streamLoad(opts);
    printTable(
      'Dashboard page load (headless Chromium, 1280×800; medians)',
      ['job', 'nodes', 'drawn', 'layout', 'first DAG ms', 'layout ms', 'TTI ms', 'longest task ms'],
      loads.map((l) => [
        String(l.job),
        Number(l.nodes),
        Number(l.vertices),
        String(l.engine),
        Number(l.firstDagMs),
        Number(l.layoutDoneMs),
        Number(l.ttiMs),
        Number(l.longestTaskMs),
      ]),
    );
    printTable(
      'While 100 nodes/s change (10,000-node job)',
      ['seconds', 'long tasks', 'longest ms'],
      [[Number(changing.seconds), Number(changing.longTasks), Number(changing.longestTaskMs)]],
    );
    printTable(
      'API streaming one running job (CPU of the API process, which also runs the workers)',
      ['job pages (SSE streams)', 'CPU %', 'RSS MiB', 'heap MiB'],
      [
        [0, stream.idle.cpuPercent, stream.idle.rssMiB, stream.idle.heapMiB],
        [50, stream.fiftyPages.cpuPercent, stream.fiftyPages.rssMiB, stream.fiftyPages.heapMiB],
      ],
    );
    const result = { loads, changing, stream };
    writeResult('dashboard', result, opts.quick);
    return result;
  } finally {
    await browser.close().catch(() => undefined);
    await api.close();
  }
}
