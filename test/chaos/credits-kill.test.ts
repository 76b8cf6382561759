// The credit ledger under SIGKILL: jobs are submitted (each reserving its estimate) and settle as
// they end while the workflows worker process — which runs the job workflows, their settle calls
// and the account entity — is SIGKILLed and restarted again and again, and the Temporal server is
// SIGKILLed once and restarted on the same SQLite file. A grant is sent several times at once, a
// settle is sent again after the fact, and one reservation is left behind by an "API" that died
// before starting its job. In the end: every job settled exactly once (one reserve, at most one
// charge and one refund, net = its actual cost), the orphaned reservation refunded by the sweep,
// the grant applied once, and balance = grants − charges + refunds.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { settleJob } from '../../src/credits/credit-activities';
import type { LedgerEntry } from '../../src/domain/credits';
import type { JobSpecInput } from '../../src/domain/job-spec';
import { jobServiceConfigFrom } from '../../src/job-service/config';
import { JobService } from '../../src/job-service/job-service';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { uniqueId, waitFor, workflowBundle } from '../helpers/temporal';
import { chaosConfig, chaosEnv } from './ml-stack';

const ROOT = path.resolve(__dirname, '..', '..');
const ROUNDS = Number(process.env.CHAOS_CREDITS_ROUNDS ?? 4);

/** cars → split → preprocess: a refund per job (8 cars have no target, so fewer cells than estimated). */
function job(name: string): JobSpecInput {
  return {
    name,
    recoveryWindow: 0,
    nodes: [
      { id: 'data', type: 'dataset', config: { name: 'cars' } },
      { id: 'split', type: 'split', dependsOn: ['data'], config: { testSize: 0.2, stratify: false } },
      { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
    ],
  };
}

interface Proc {
  child: ChildProcess;
  exited: Promise<unknown>;
}

function startCpuWorker(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'cpu.ts')], {
    cwd: ROOT,
    // Its ready line ("GPUs: …") is an info log line: a chaos env's 'silent' level would hide it.
    env: { ...process.env, ...env, TRAINYARD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a worker that never got ready must not outlive the test
      reject(new Error(`CPU worker did not start:\n${out.join('')}`));
    }, 90_000);
    child.stdout!.on('data', (b: Buffer) => {
      out.push(b.toString());
      if (/GPUs: none/.test(out.join(''))) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    });
    child.stderr!.on('data', (b: Buffer) => out.push(b.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`CPU worker exited (${String(code)}) during start-up:\n${out.join('')}`));
    });
  });
}

/** Retries a call that may meet the server while it restarts. */
async function persist<T>(fn: () => Promise<T>, what: string): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(err)}`);
      if ((err as { name?: string }).name === 'InsufficientCreditsError') throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('credit ledger under SIGKILL of the workflows worker and the server', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-chaos-credits-'));
  // Searchable (not listable) by others: a root worker's step sandbox runs bwrap as uid 65534.
  fs.chmodSync(tmp, 0o711);
  let server: DevServer | undefined;
  let worker: Proc | undefined;
  afterAll(async () => {
    if (worker?.child.exitCode === null) worker.child.kill('SIGKILL');
    await server?.stop();
    if (!process.env.TRAINYARD_KEEP_TEST_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('when workers and the server are killed during charges, then every job is settled once and the balance adds up', async () => {
    const port = await freePort();
    const start = () =>
      startDevServer({ dbFile: path.join(tmp, 'temporal.db'), port, uiPort: null, logFile: path.join(tmp, 't.log') });
    server = await start();
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    // A prebuilt bundle: a restarted worker is back in a second or two.
    const bundleFile = path.join(tmp, 'bundle.js');
    fs.writeFileSync(bundleFile, (await workflowBundle()).code);
    const env = chaosEnv(path.join(tmp, 'home'), uniqueId('chaos-credits'), {
      TEMPORAL_ADDRESS: server.address,
      TRAINYARD_CREDITS: 'on',
      TRAINYARD_CREDITS_COSTS: 'base=1,cell=0.001,preprocess=0.5',
      TRAINYARD_CREDITS_SWEEP: '2s',
      TRAINYARD_WORKFLOW_BUNDLE: bundleFile,
    });
    const config = chaosConfig(env);
    const sdk = new JobService(client, jobServiceConfigFrom(config));
    const accounts = sdk.accounts!;
    const owner = 'chaos';
    try {
      worker = await startCpuWorker(env);
      // The same grant, sent four times at once (a client retrying): applied once.
      await Promise.all(
        [1, 2, 3, 4].map(() => accounts.grant(owner, { grantId: 'g1', amount: 1000, reason: 'chaos' })),
      );
      // An API that reserved and died before starting the job: nothing will ever settle it.
      await accounts.reserve(owner, { jobId: 'job-never-started', amount: 3 });

      const ids: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < 3; k++)
          ids.push((await persist(() => sdk.submitJob(job(`c${round}-${k}`), { owner }), 'submit')).id);
        // Let some jobs reach their end (and their settle), then kill the worker outright.
        await sleep(400 + ((round * 337) % 1200));
        worker.child.kill('SIGKILL');
        await worker.exited;
        if (round === Math.floor(ROUNDS / 2)) {
          // The server too, mid-flight; back on the same file and port.
          await server.kill();
          await sleep(1000);
          server = await start();
        }
        worker = await startCpuWorker(env);
      }

      const results = await Promise.all(
        ids.map((id) => persist(() => client.workflow.getHandle(id).result(), `result of ${id}`)),
      );
      expect(results.map((r) => r.status)).toEqual(ids.map(() => 'completed'));

      // Settled exactly once: a late, different settle of a finished job changes nothing.
      const late = await settleJob(
        client,
        {
          queuePrefix: config.queuePrefix,
          owner,
          request: { jobId: ids[0]!, outcome: 'cancelled', actual: 0, gpuCost: 0, refund: 'full', overrun: 'charge' },
        },
        { sweepMs: config.credits.sweepMs },
      );
      // Answered as the first settle was (the server's update-id dedupe, or the book's across runs): completed, charged.
      const first = (await sdk.getJobStatus(ids[0]!)).credits!;
      expect({ charged: late.charged, refunded: late.refunded }).toEqual({
        charged: first.charged,
        refunded: first.refunded,
      });

      // The sweep refunds the orphaned reservation; then nothing is open.
      const account = await waitFor(
        async () => {
          const a = await persist(() => accounts.get(owner), 'account');
          return a.openJobs === 0 ? a : undefined;
        },
        { timeoutMs: 60_000, what: 'every reservation settled' },
      );

      const entries: LedgerEntry[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await accounts.entries(owner, { limit: 100, ...(before !== undefined && { before }) });
        entries.push(...page);
        if (page.length < 100) break;
        before = page.at(-1)!.seq;
      }
      const of = (jobId: string) => entries.filter((e) => e.jobId === jobId);
      const milli = (x: number) => Math.round(x * 1000);
      let charged = 0;
      for (const [i, id] of ids.entries()) {
        const mine = of(id);
        const kinds = mine.map((e) => e.kind).sort();
        // One reserve; the cars rows without a target make the actual cost lower: one refund, no charge.
        expect(kinds).toEqual(['refund', 'reserve']);
        const view = await sdk.getJobStatus(id);
        const c = view.credits!;
        expect(c.settled).toBe(true);
        expect(milli(c.charged)).toBe(milli(c.actual!.cost.total));
        const net = mine.reduce((s, e) => s + (e.kind === 'refund' ? -1 : 1) * milli(e.amount), 0);
        expect(net).toBe(milli(c.charged));
        charged += milli(c.charged);
        if (i === 0) expect(c.actual!.usage.cells).toBe(398 * 9);
      }
      expect(of('job-never-started').map((e) => [e.kind, e.amount])).toEqual([
        ['refund', 3],
        ['reserve', 3],
      ]);
      expect(entries.filter((e) => e.kind === 'grant')).toHaveLength(1);
      expect(entries).toHaveLength(1 + 2 + ids.length * 2);
      expect(milli(account.balance)).toBe(1000_000 - charged);
      expect(milli(account.totals.granted) - milli(account.totals.charged) + milli(account.totals.refunded)).toBe(
        milli(account.balance),
      );
      console.log(
        `credits chaos: ${ids.length} jobs over ${ROUNDS} worker kills and 1 server kill; ${entries.length} entries; balance ${account.balance}`,
      );
    } finally {
      await connection.close().catch(() => undefined);
    }
  }, 600_000);
});
