// A rolling upgrade with Worker Versioning, done the way the README tells an operator to:
//   jobs start on build A (CPU + GPU worker processes of deployment "trainyard", version A);
//   build B's workers start next to A's, with workflow code that differs (test/fixtures/build-b:
//   one more command per run, so replaying an A history on B would be non-deterministic);
//   `set-current-version B`; `workflow signal --name upgrade --query <pinned to A>`;
//   A drains (DRAINED, no running job pinned to it) and its workers are stopped with SIGTERM.
// Then: every job finishes correctly (the running ones, a paused one, a failed one waiting for
// recover), the jobs that were running on A continued as new onto B, new jobs run on B, nothing is
// stuck and no workflow task failed, let alone with a non-determinism error.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import {
  appServices,
  DEPLOYMENT_NAME,
  pinnedQuery,
  setCurrentVersion,
  type AppService,
} from '../../deploy/prod-local/topology';
import { historyToFixtureJSON } from '../fixtures/history-json';
import { quietLogger, waitFor } from '../helpers/temporal';
import { api, prod, routingPropagated, sleepJob, temporalCli, temporalClient } from './prod-env';
import { WORKFLOW_BUNDLE_EXTRAS } from '../../workers/workflow-bundle';

const REPO = path.resolve(__dirname, '..', '..');
/** TRAINYARD_RECORD_FIXTURES=1: save build A's runs as replay fixtures (the upgrade path of workflows/job-workflow.ts). */
const RECORD = process.env.TRAINYARD_RECORD_FIXTURES === '1';
const { state, topo, keys } = prod();
const alice = api(state, keys.alice!);
const run = Date.now().toString(36);
const A = `ru-a-${run}`;
const B = `ru-b-${run}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-upgrade-'));
const procs: { build: string; svc: string; proc: ChildProcess; out: () => string; exited: Promise<number | null> }[] =
  [];
let client: Client;
let connection: Connection;

beforeAll(async () => {
  ({ client, connection } = await temporalClient(state));
});
afterAll(async () => {
  // Give the deployment back to the topology's own build, whatever happened.
  setCurrentVersion(topo, state.buildId);
  // (so the next suite's jobs do not start on this test's builds, whose workers are stopped below)
  await routingPropagated(client, DEPLOYMENT_NAME, state.buildId).catch(() => undefined);
  for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
  await connection?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A CPU worker and a GPU worker of one build: docker-compose.yml's commands, with TRAINYARD_BUILD_ID (and bundle) set. */
function startBuild(build: string, bundle: string): void {
  const svcs: AppService[] = appServices({
    ...topo,
    settings: { ...topo.settings, gpuWorkers: 1 },
    composeVars: {
      ...topo.composeVars,
      TRAINYARD_BUILD_ID: build,
      TRAINYARD_WORKFLOW_BUNDLE: bundle,
      TRAINYARD_DOCS_PASSWORD: 'x',
    },
  }).filter((s) => s.service !== 'api');
  for (const s of svcs) {
    const proc = spawn(s.argv[0]!, s.argv.slice(1), { cwd: REPO, env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => (out += String(d)));
    proc.stderr!.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
    procs.push({ build, svc: s.name, proc, out: () => out, exited });
  }
}

interface VersionInfo {
  drainageInfo?: { drainageStatus?: string };
  taskQueuesInfos?: { name: string; type: string }[];
}

async function describeVersion(build: string): Promise<VersionInfo> {
  return JSON.parse(
    await temporalCli(topo, [
      'worker',
      'deployment',
      'describe-version',
      '--deployment-name',
      'trainyard',
      '--build-id',
      build,
      '-o',
      'json',
    ]),
  ) as VersionInfo;
}

/** All four task queues have pollers of this build. */
async function waitBuildPolling(build: string): Promise<void> {
  await waitFor(
    async () => {
      for (const p of procs.filter((x) => x.build === build))
        if (p.proc.exitCode !== null) throw new Error(`${build} ${p.svc} exited:\n${p.out().slice(-2000)}`);
      const v = await describeVersion(build).catch(() => undefined);
      return (v?.taskQueuesInfos?.length ?? 0) >= 4;
    },
    { timeoutMs: 180_000, intervalMs: 1000, what: `build ${build} polling` },
  );
}

async function buildOf(
  id: string,
): Promise<{ build?: string; behavior?: string; runs: number; memo?: Record<string, unknown> }> {
  const d = await client.workflow.getHandle(id).describe();
  const vi = d.raw.workflowExecutionInfo?.versioningInfo;
  return {
    build: vi?.deploymentVersion?.buildId ?? undefined,
    behavior: vi?.behavior ? temporal.api.enums.v1.VersioningBehavior[vi.behavior] : undefined,
    runs: d.runId === d.raw.workflowExecutionInfo?.firstRunId ? 1 : 2,
    memo: d.memo,
  };
}

interface View {
  status: string;
  runs?: number;
  nodes: { id: string; status: string; output?: unknown }[];
}
const view = async (id: string) => (await alice.get<View>(`/v1/jobs/${id}`)).body;
const finished = (id: string) =>
  waitFor(
    async () => {
      const v = await view(id);
      return ['completed', 'failed', 'cancelled'].includes(v.status) ? v : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 500, what: `${id} finished` },
  );

/**
 * Every workflow task failure in every run of a job. A non-determinism error would be one. Not
 * counted: UNHANDLED_COMMAND, Temporal's "an event arrived while you were completing, look again"
 * (the `upgrade` signal reaching a job in the very task that continues it as new) — the SDK redoes
 * that task at once; it is a race, not a failure.
 */
async function workflowTaskFailures(id: string): Promise<string[]> {
  const out: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${id}'` })) {
    const history = await client.workflow.getHandle(id, wf.runId).fetchHistory();
    for (const e of history.events ?? [])
      if (
        e.workflowTaskFailedEventAttributes &&
        e.workflowTaskFailedEventAttributes.cause !==
          temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
      )
        out.push(
          `${wf.runId}: ${temporal.api.enums.v1.WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes.cause ?? 0]} ${e.workflowTaskFailedEventAttributes.failure?.message ?? ''}`,
        );
  }
  return out;
}

describe('rolling upgrade with Worker Versioning', () => {
  it('when build B (different workflow code) is rolled out over running jobs and build A drains, then every job finishes, new jobs run on B, nothing is stuck and no non-determinism error appears', async () => {
    const bundleA = topo.composeVars.TRAINYARD_WORKFLOW_BUNDLE!;
    const bundleB = path.join(tmp, 'build-b.js');
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/build-b'),
      ...WORKFLOW_BUNDLE_EXTRAS,
      logger: quietLogger,
    });
    fs.writeFileSync(bundleB, code);

    // 1. Build A is current; jobs start on it. (B's workers start now too, so that the time they
    // take to start is not a race with the jobs on A: until B is current they get no work.)
    startBuild(A, bundleA);
    startBuild(B, bundleB);
    await waitBuildPolling(A);
    setCurrentVersion(topo, A);
    await routingPropagated(client, DEPLOYMENT_NAME, A);
    await waitBuildPolling(B);
    const chains = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const r = await alice.post<{ id: string }>(
          '/v1/jobs',
          sleepJob(`upgrade-${run}-${i}`, { chain: 6, ms: 1500, gpuNode: i === 0 }),
        );
        return r.body.id;
      }),
    );
    const paused = (
      await alice.post<{ id: string }>('/v1/jobs', sleepJob(`upgrade-paused-${run}`, { chain: 3, ms: 300 }))
    ).body.id;
    const failing = (
      await alice.post<{ id: string }>('/v1/jobs', {
        name: `upgrade-recover-${run}`,
        recoveryWindow: '10m',
        nodes: [
          { id: 'a', type: 'command', config: { command: ['node', '-e', 'setTimeout(() => {}, 200)'] } },
          {
            id: 'b',
            type: 'command',
            dependsOn: ['a'],
            retry: { maxAttempts: 1 },
            // Fails the first time it runs, succeeds after recover: the sandboxed step can write only
            // its own folder, which a later attempt on this host finds as the failed one left it.
            config: {
              command: [
                'node',
                '-e',
                `const f=process.env.JOB_OUTPUT_DIR+'/failed-once',fs=require('fs');if(!fs.existsSync(f)){fs.writeFileSync(f,'');process.exit(3)}`,
              ],
            },
          },
        ],
      })
    ).body.id;
    expect((await alice.post(`/v1/jobs/${paused}/pause`)).status).toBe(200);
    await waitFor(async () => (await view(paused)).status === 'paused', { timeoutMs: 60_000, what: 'paused on A' });
    await waitFor(async () => (await view(failing)).status === 'failed', { timeoutMs: 60_000, what: 'failed on A' });
    // Every job is pinned to A. Seen on Temporal 1.31 (2 CI runs of 3 locally): a job started in the
    // seconds after set-current-version gets one workflow task with targetWorkerDeploymentVersionChanged
    // and continues as new onto A, the current build. Harmless (a run starts on the current build,
    // with a fresh history), and that run is AUTO_UPGRADE only until its first task on A pins it.
    for (const id of [...chains, paused, failing]) {
      let b = await buildOf(id);
      await waitFor(async () => (b = await buildOf(id)).build === A && b.behavior === 'VERSIONING_BEHAVIOR_PINNED', {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: `${id} pinned to ${A}`,
      }).catch(() => undefined);
      expect(b).toMatchObject({ build: A, behavior: 'VERSIONING_BEHAVIOR_PINNED' });
    }
    await waitFor(async () => (await view(chains[2]!)).nodes.filter((n) => n.status === 'completed').length >= 1, {
      timeoutMs: 60_000,
      what: 'chains under way on A',
    });

    // 2. Roll out B (its workers run next to A's): make it current, tell idle pinned jobs.
    setCurrentVersion(topo, B);
    await routingPropagated(client, DEPLOYMENT_NAME, B);
    await temporalCli(topo, [
      'workflow',
      'signal',
      '--name',
      'upgrade',
      '--query',
      pinnedQuery(A),
      '--yes',
      '--reason',
      'rollout',
    ]);
    const fresh = (await alice.post<{ id: string }>('/v1/jobs', sleepJob(`upgrade-new-${run}`, { chain: 2, ms: 200 })))
      .body.id;

    // 3. A drains: no running job is pinned to it any more.
    await waitFor(
      async () => {
        const n = (await client.workflow.count(pinnedQuery(A))).count;
        return n === 0;
      },
      { timeoutMs: 180_000, intervalMs: 1000, what: `no running job pinned to ${A}` },
    );
    const drained = await waitFor(
      async () => {
        const s = (await describeVersion(A)).drainageInfo?.drainageStatus;
        return s && /DRAINED/i.test(s) ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 2000, what: `${A} DRAINED` },
    );
    expect(drained).toMatch(/DRAINED/i);
    for (const p of procs.filter((x) => x.build === A)) p.proc.kill('SIGTERM');
    expect(await Promise.all(procs.filter((x) => x.build === A).map((p) => p.exited))).toEqual([0, 0]);

    // 4. Idle jobs continue on B: resume the paused one, recover the failed one.
    expect((await alice.post(`/v1/jobs/${paused}/resume`)).status).toBe(200);
    expect((await alice.post(`/v1/jobs/${failing}/recover`, {})).status).toBe(200);

    const all = [...chains, paused, failing, fresh];
    const results = await Promise.all(all.map(finished));
    expect(results.map((r) => r.status)).toEqual(all.map(() => 'completed'));
    for (const r of results)
      expect(r.nodes.every((n) => n.status === 'completed' && n.output !== undefined)).toBe(true);
    // Every job ends on B: the ones started on A continued as new onto it (2 runs), the new one started there.
    for (const id of all) {
      const b = await buildOf(id);
      expect(`${id} ${b.build} ${String(b.memo?.ranOnBuild)}`).toBe(`${id} ${B} B`);
      expect(b.runs).toBe(id === fresh ? 1 : 2);
    }
    for (const id of all) expect(await workflowTaskFailures(id)).toEqual([]);

    // What pinning protected the jobs from: build A's history replayed on build B's code fails.
    const firstRun = (await client.workflow.getHandle(chains[1]!).describe()).raw.workflowExecutionInfo!.firstRunId!;
    const historyA = await client.workflow.getHandle(chains[1]!, firstRun).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: { code } }, historyA, chains[1])).rejects.toThrow(
      DeterminismViolationError,
    );
    if (RECORD) {
      // Run 1 of a chain (drained and continued as new when B became current) and of the failed job
      // (woken by the upgrade signal while waiting for recover): today's code, so the replay suite replays them.
      const dir = path.join(REPO, 'test', 'fixtures', 'histories');
      fs.writeFileSync(path.join(dir, 'upgrade-running.run-1.json'), historyToFixtureJSON(historyA));
      const failedFirst = (await client.workflow.getHandle(failing).describe()).raw.workflowExecutionInfo!.firstRunId!;
      fs.writeFileSync(
        path.join(dir, 'upgrade-idle.run-1.json'),
        historyToFixtureJSON(await client.workflow.getHandle(failing, failedFirst).fetchHistory()),
      );
    }
    console.log(
      `rolling upgrade: ${all.length - 1} jobs moved from ${A} to ${B} (3 running, 1 paused, 1 failed awaiting recover), 1 new job on ${B}; ${A} ${drained}`,
    );
  }, 600_000);
});
