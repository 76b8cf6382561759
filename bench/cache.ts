// Step cache (issue 17 Performance): the demo pipeline (examples/pipeline.yaml, what `npm run demo`
// and the ml benchmark run) on the whole local stack (startStack: dev server, CPU + simulated-GPU
// workers, API), submitted twice with the cache on for the whole job: second wall time / first.
// Each round uses its own cache `version` (part of every key), so its first run misses on every node
// and stores, and its second hits on every node. Each round also runs the same pipeline with the
// cache off, before the pair in odd rounds and after it in even ones: what a miss costs over no cache.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startStack } from '../dev/stack';
import { freePort } from '../src/temporal/dev-server';
import { benchConfig, http } from './lib/api';
import { demoPipeline } from './lib/specs';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { median, nowMs, round, spread } from './lib/stats';

const TARGET = 0.2;

interface NodeView {
  id: string;
  status: string;
}
interface JobView {
  status: string;
  nodes: NodeView[];
}

type Kind = 'off' | 'first' | 'second';

interface Round {
  round: number;
  version: string;
  wallMs: Record<Kind, number>;
  ratio: number;
  missOverhead: number;
  /** Node statuses of the second run (every one `cached`). */
  secondStatuses: Record<string, string>;
}

export async function cache(opts: BenchOptions): Promise<Record<string, unknown>> {
  const rounds = opts.quick ? 1 : 3;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-cache-'));
  // mkdtemp makes it 0700; the command-step sandbox's user must be able to reach the work folders below it.
  fs.chmodSync(home, 0o755);
  const config = benchConfig(home, 'cachebench', {
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TRAINYARD_GPUS: '1x16',
  });
  const demo = demoPipeline();
  const stack = await startStack(config, { log: (l) => opts.log(`stack: ${l}`) });
  /** Submit → the API reports the job ended (polled every 20 ms). */
  const run = async (spec: Record<string, unknown>): Promise<{ wallMs: number; view: JobView }> => {
    const t0 = nowMs();
    const sub = await http<{ id: string }>(stack.apiUrl, 'POST', '/v1/jobs', spec);
    if (sub.status !== 201) throw new Error(`submit answered ${sub.status}: ${JSON.stringify(sub.body)}`);
    for (;;) {
      const view = (await http<JobView>(stack.apiUrl, 'GET', `/v1/jobs/${sub.body.id}`)).body;
      if (['completed', 'failed', 'cancelled'].includes(view.status)) {
        const wallMs = nowMs() - t0;
        if (view.status !== 'completed') throw new Error(`demo pipeline ended ${view.status}`);
        return { wallMs, view };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const results: Round[] = [];
  try {
    opts.log('cache: warm-up (cache off)');
    await run(demo);
    for (let r = 0; r < rounds; r++) {
      const version = `bench-${randomUUID().slice(0, 8)}-r${r}`;
      const cached = { ...demo, cache: { version } };
      const wallMs: Partial<Record<Kind, number>> = {};
      if (r % 2 === 0) wallMs.off = (await run(demo)).wallMs;
      const first = await run(cached);
      wallMs.first = first.wallMs;
      const second = await run(cached);
      wallMs.second = second.wallMs;
      if (r % 2 === 1) wallMs.off = (await run(demo)).wallMs;
      const missed = first.view.nodes.filter((n) => n.status !== 'completed').map((n) => `${n.id}=${n.status}`);
      if (missed.length) throw new Error(`cache round ${r}: the first run was not all computed: ${missed.join(', ')}`);
      const secondStatuses = Object.fromEntries(second.view.nodes.map((n) => [n.id, n.status]));
      const notHit = Object.entries(secondStatuses).filter(([, s]) => s !== 'cached');
      if (notHit.length)
        throw new Error(`cache round ${r}: the second run was not all cached: ${JSON.stringify(notHit)}`);
      const w = wallMs as Record<Kind, number>;
      const round_ = {
        round: r,
        version,
        wallMs: { off: round(w.off, 0), first: round(w.first, 0), second: round(w.second, 0) },
        ratio: round(w.second / w.first, 4),
        missOverhead: round(w.first / w.off, 4),
        secondStatuses,
      };
      opts.log(`cache round ${r + 1}/${rounds}: ${JSON.stringify(round_.wallMs)}, second/first ${round_.ratio}`);
      results.push(round_);
    }
  } finally {
    await stack.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
  const wall = (k: Kind) => spread(results.map((x) => x.wallMs[k]));
  const ratio = spread(results.map((x) => x.ratio));
  const target = { rule: `second / first wall time ≤ ${TARGET}`, ratio: ratio.median, met: ratio.median <= TARGET };
  const s = (x: ReturnType<typeof spread>, d = 0) => `${round(x.median, d)} (${round(x.min, d)}–${round(x.max, d)})`;
  printTable(
    `Step cache: the demo pipeline (examples/pipeline.yaml, 7 nodes) submitted twice with the cache on, a fresh cache version per round; median (min–max) of ${rounds} round(s) — target ${target.met ? 'met' : 'MISSED'} (${round(ratio.median, 3)})`,
    ['', 'wall ms', '× first'],
    [
      ['cache off', s(wall('off')), round(median(results.map((x) => x.wallMs.off / x.wallMs.first)), 3)],
      ['cache on, first (every node misses, stores)', s(wall('first')), 1],
      ['cache on, second (every node cached)', s(wall('second')), s(ratio, 3)],
    ],
  );
  const file = writeResult(
    'cache',
    {
      pipeline: 'examples/pipeline.yaml',
      rounds,
      target,
      wallMs: { off: wall('off'), first: wall('first'), second: wall('second') },
      ratio,
      missOverhead: spread(results.map((x) => x.missOverhead)),
      perRound: results,
      note: 'wall = POST /v1/jobs → GET /v1/jobs/:id reports the job ended (polled every 20 ms)',
    },
    opts.quick,
  );
  opts.log(`wrote ${file}`);
  return { target, ratio };
}
