// Peers (issue 19, item 5): the same three workloads on Trainyard and, when bench/peers/install.sh has
// installed them, Prefect 3 and Airflow 3, every step running /bin/true as a subprocess:
//   chain      — 50 dependent steps;
//   fanout     — one step, 100 steps that depend on it, one join step;
//   throughput — 100 single-step jobs (flow runs, DAG runs) submitted at once, until the last ends.
// Trainyard runs through its real stack (dev/stack.ts: Temporal dev server, CPU workers, HTTP API;
// POST /v1/jobs, then the job workflow's result). Each peer runs from its Python driver under
// bench/peers/ with its own server; a peer that is not installed is printed as "skipped: <reason>".
// Each system runs its block alone on the machine (rounds of chain, fanout, throughput, interleaved);
// Trainyard runs before the peers and again after them, and the ratio is peer / Trainyard over the
// median of all its runs. At most CONCURRENCY steps run at once on every system.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createDatabase,
  DB_USER,
  ensureCluster,
  findPgBin,
  password,
  postgresOf,
  startPostgres,
  stopPostgres,
  type Postgres,
} from '../deploy/prod-local/postgres';
import { startStack, type Stack } from '../dev/stack';
import type { JobSpecInput } from '../src/domain/job-spec';
import { freePort } from '../src/temporal/dev-server';
import { BENCH_KEY, benchConfig } from './lib/api';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { chain, fanOutIn, specOf } from './lib/specs';
import { fmtSpread, nowMs, round, spread, type Spread } from './lib/stats';

const WORKLOADS = ['chain', 'fanout', 'throughput'] as const;
type Workload = (typeof WORKLOADS)[number];
type Seconds = Record<Workload, number[]>;

const PEERS = ['prefect', 'airflow'] as const;
type Peer = (typeof PEERS)[number];

// /bin/true resolved: with a merged /usr (/bin → usr/bin) its installation is /usr, which the step
// sandbox shows to steps; /bin/true itself would name / as its installation, which the sandbox refuses.
const STEP = [fs.realpathSync('/bin/true')];
const CONCURRENCY = 32;
const PEERS_DIR = path.resolve(__dirname, 'peers');

interface Sizes {
  chain: number;
  fanout: number;
  jobs: number;
  repeats: number;
}

interface PeerResult {
  system: Peer;
  version: string;
  python: string;
  database: string;
  seconds: Seconds;
  tuning: Record<string, string>;
}

const loadAvg = () => os.loadavg().map((l) => round(l, 2));

/** Trainyard's tuning, as the environment the stack reads (src/config.ts). */
const TRAINYARD_TUNING = {
  TRAINYARD_ALLOWED_COMMANDS: STEP[0]!,
  // Command steps run on the CPU queue; its worker's activity slots (default 10) = the peers' parallelism.
  TRAINYARD_CPU_CONCURRENCY: String(CONCURRENCY),
};

async function trainyardBlock(sizes: Sizes, log: (l: string) => void): Promise<Seconds> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-peers-'));
  // Command steps run in the step sandbox as another user, which must reach the work folder under it.
  fs.chmodSync(home, 0o711);
  const config = benchConfig(home, `peers-${randomUUID().slice(0, 8)}`, {
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    // The stack starts a GPU worker too; a simulated GPU (no step here uses it) where there is none.
    TRAINYARD_GPUS: '1x16',
    ...TRAINYARD_TUNING,
  });
  const stack: Stack = await startStack(config, { log: (l) => log(`trainyard stack: ${l}`) });
  const spec = (s: Parameters<typeof specOf>[0]): JobSpecInput =>
    specOf(s, CONCURRENCY, {}, { retryOnce: true, command: STEP });
  const submit = async (body: JobSpecInput): Promise<string> => {
    const res = await fetch(`${stack.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': BENCH_KEY, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { id?: string };
    if (res.status !== 201 || !json.id)
      throw new Error(`POST /v1/jobs answered ${res.status}: ${JSON.stringify(json)}`);
    return json.id;
  };
  // The job workflow's id is the job id; its result is the job's final progress.
  const finish = async (id: string): Promise<void> => {
    const progress = (await stack.client.workflow.getHandle(id).result()) as { status?: string };
    if (progress.status !== 'completed') throw new Error(`job ${id} ended ${JSON.stringify(progress).slice(0, 300)}`);
  };
  const runJobs = async (body: JobSpecInput, n: number): Promise<number> => {
    const t0 = nowMs();
    const ids = await Promise.all(Array.from({ length: n }, () => submit(body)));
    await Promise.all(ids.map(finish));
    return (nowMs() - t0) / 1000;
  };
  const run = (w: Workload, small = false): Promise<number> =>
    w === 'chain'
      ? runJobs(spec(chain(small ? 3 : sizes.chain)), 1)
      : w === 'fanout'
        ? runJobs(spec(fanOutIn(small ? 3 : sizes.fanout)), 1)
        : runJobs(spec(chain(1)), small ? 3 : sizes.jobs);
  try {
    for (const w of WORKLOADS) await run(w, true); // warm-up: connections, JIT, the workers' caches
    const out: Seconds = { chain: [], fanout: [], throughput: [] };
    for (let r = 0; r < sizes.repeats; r++)
      for (const w of WORKLOADS) {
        const s = await run(w);
        out[w].push(s);
        log(`trainyard round ${r + 1}/${sizes.repeats} ${w}: ${round(s, 3)} s`);
      }
    return out;
  } finally {
    await stack.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Why a peer cannot run here, or undefined when its venv is in place. */
function missing(peer: Peer): string | undefined {
  const py = path.join(PEERS_DIR, '.venv', peer, 'bin', 'python');
  return fs.existsSync(py)
    ? undefined
    : `not installed (${path.relative(process.cwd(), py)} is missing: run bench/peers/install.sh ${peer})`;
}

function runDriver(peer: Peer, sizes: Sizes, dbUrl: string | undefined, log: (l: string) => void): Promise<PeerResult> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `trainyard-bench-${peer}-`));
  const argv = [
    path.join(PEERS_DIR, `${peer}_driver.py`),
    ...['--workdir', workdir, '--chain', String(sizes.chain), '--fanout', String(sizes.fanout)],
    ...['--jobs', String(sizes.jobs), '--repeats', String(sizes.repeats), '--concurrency', String(CONCURRENCY)],
    ...['--step', STEP[0]!],
    ...(dbUrl ? ['--db-url', dbUrl] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PEERS_DIR, '.venv', peer, 'bin', 'python'), argv, {
      cwd: PEERS_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
      for (const line of d.toString().split('\n'))
        if (/^\[\d\d:\d\d:\d\d\] /.test(line)) log(`${peer}: ${line.slice(11)}`);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        fs.rmSync(workdir, { recursive: true, force: true });
        resolve(JSON.parse(last) as PeerResult);
      } else reject(new Error(`${peer} driver exited ${code} (its files: ${workdir}):\n${tail}`));
    });
  });
}

interface PgCluster {
  pg: Postgres;
  home: string;
  url(driver: string, db: string): string;
}

async function startCluster(log: (l: string) => void): Promise<PgCluster | string> {
  let bin: string;
  try {
    bin = findPgBin(undefined, process.env.PATH ?? '');
  } catch (err) {
    return (err as Error).message;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tybp-'));
  // PostgreSQL runs as its own OS user when we are root: it must reach the folder.
  fs.chmodSync(home, 0o755);
  const pg = postgresOf(home, await freePort(), bin);
  ensureCluster(pg);
  await startPostgres(pg);
  log(`PostgreSQL (${bin}) on 127.0.0.1:${pg.port}`);
  const pw = encodeURIComponent(password(pg));
  return { pg, home, url: (driver, db) => `postgresql+${driver}://${DB_USER}:${pw}@127.0.0.1:${pg.port}/${db}` };
}

export async function peers(opts: BenchOptions): Promise<Record<string, unknown>> {
  const sizes: Sizes = opts.quick
    ? { chain: 10, fanout: 20, jobs: 20, repeats: 1 }
    : { chain: 50, fanout: 100, jobs: 100, repeats: 3 };
  const blocks: { system: string; load: { start: number[]; end?: number[] } }[] = [];
  const block = async <T>(system: string, fn: () => Promise<T>): Promise<T> => {
    const b: (typeof blocks)[number] = { system, load: { start: loadAvg() } };
    blocks.push(b);
    try {
      return await fn();
    } finally {
      b.load.end = loadAvg();
    }
  };

  const trainyard: Seconds = { chain: [], fanout: [], throughput: [] };
  const add = (s: Seconds) => WORKLOADS.forEach((w) => trainyard[w].push(...s[w]));
  add(await block('trainyard', () => trainyardBlock(sizes, opts.log)));

  const peerResults: Partial<Record<Peer, PeerResult>> = {};
  const skipped: Partial<Record<Peer, string>> = {};
  const installed = PEERS.filter((p) => {
    const why = missing(p);
    if (why) skipped[p] = why;
    return !why;
  });
  let cluster: PgCluster | undefined;
  if (installed.length) {
    const c = await startCluster(opts.log);
    if (typeof c === 'string') opts.log(`peers: no PostgreSQL (${c}); the peers use SQLite`);
    else cluster = c;
  }
  try {
    for (const peer of installed) {
      let dbUrl: string | undefined;
      if (cluster) {
        const db = `peers_${peer}`;
        createDatabase(cluster.pg, db);
        dbUrl = cluster.url(peer === 'prefect' ? 'asyncpg' : 'psycopg2', db);
      }
      try {
        peerResults[peer] = await block(peer, () => runDriver(peer, sizes, dbUrl, opts.log));
      } catch (err) {
        skipped[peer] = `failed: ${(err as Error).message.split('\n')[0]}`;
        opts.log(`${peer}: ${(err as Error).message}`);
      }
    }
  } finally {
    if (cluster) {
      stopPostgres(cluster.pg);
      fs.rmSync(cluster.home, { recursive: true, force: true });
    }
  }
  // Trainyard again after the peers (not in a quick run), so that a change of load shows in its spread.
  if (!opts.quick && installed.length) add(await block('trainyard', () => trainyardBlock(sizes, opts.log)));

  const base: Record<Workload, Spread> = {
    chain: spread(trainyard.chain),
    fanout: spread(trainyard.fanout),
    throughput: spread(trainyard.throughput),
  };
  const rows: { system: string; workload: Workload; seconds: Spread; ratio: number }[] = [];
  for (const w of WORKLOADS) {
    rows.push({ system: 'trainyard', workload: w, seconds: base[w], ratio: 1 });
    for (const peer of PEERS) {
      const r = peerResults[peer];
      if (!r) continue;
      const s = spread(r.seconds[w]);
      rows.push({ system: peer, workload: w, seconds: s, ratio: round(s.median / base[w].median, 2) });
    }
  }
  const what: Record<Workload, string> = {
    chain: `${sizes.chain}-step chain`,
    fanout: `1 → ${sizes.fanout} → 1`,
    throughput: `${sizes.jobs} single-step jobs at once`,
  };
  printTable(
    `Peers: every step /bin/true, at most ${CONCURRENCY} at once; wall time, median (min–max) of ${sizes.repeats} (Trainyard: of all its runs); ratio = peer / Trainyard`,
    ['system', 'workload', 'wall s', 'ratio to Trainyard'],
    rows.map((r) => [
      r.system === 'trainyard' ? 'trainyard' : `${r.system} ${peerResults[r.system as Peer]!.version}`,
      what[r.workload],
      fmtSpread(r.seconds, 2),
      r.system === 'trainyard' ? '1' : `${r.ratio}×`,
    ]),
  );
  for (const peer of PEERS) if (skipped[peer]) console.log(`${peer}: skipped: ${skipped[peer]}`);

  const result = {
    sizes,
    concurrency: CONCURRENCY,
    step: STEP,
    blocks,
    trainyard: { seconds: trainyard, tuning: TRAINYARD_TUNING },
    peers: peerResults,
    skipped,
    rows,
  };
  const file = writeResult('peers', result, opts.quick);
  opts.log(`wrote ${file}`);
  return result;
}
