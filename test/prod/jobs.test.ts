// On the production topology (temporal-server on PostgreSQL, SQL visibility, every role its own
// process): the shipped pipelines complete; listing and filtering by every search attribute works on
// SQL visibility, in the order the README documents (it has no ORDER BY); pause, pause-now, resume,
// recover and cancel work through the API and through the Temporal CLI.
import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import { waitFor } from '../helpers/temporal';
import { api, prod, sleepJob, temporalCli, temporalClient } from './prod-env';

const ROOT = path.resolve(__dirname, '..', '..');
const { state, topo, keys } = prod();
const admin = api(state, keys.admin!);
const alice = api(state, keys.alice!);
const bob = api(state, keys.bob!);
const run = `${Date.now().toString(36)}`;

let client: Client;
let connection: Connection;
beforeAll(async () => {
  ({ client, connection } = await temporalClient(state));
});
afterAll(async () => connection?.close());

type ApiClient = typeof alice;

async function submit(as: ApiClient, spec: unknown): Promise<string> {
  const r = await as.post<{ id: string }>('/v1/jobs', spec);
  expect(r.status).toBe(201);
  return r.body.id;
}

async function statusOf(as: ApiClient, id: string) {
  const r = await as.get<{ status: string; nodes: { id: string; status: string; executions: number }[] }>(
    `/v1/jobs/${id}`,
  );
  expect(r.status).toBe(200);
  return r.body;
}

function until(as: ApiClient, id: string, want: (s: Awaited<ReturnType<typeof statusOf>>) => boolean, what: string) {
  return waitFor(
    async () => {
      const s = await statusOf(as, id);
      return want(s) ? s : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 300, what: `${id} ${what}` },
  );
}

const terminal = (s: { status: string }) => ['completed', 'failed', 'cancelled'].includes(s.status);

describe('production topology: the shipped pipelines', () => {
  it('when the demo pipeline and examples/command-pipeline.yaml are submitted, then both complete with their artifacts', async () => {
    const specs = ['pipeline.yaml', 'command-pipeline.yaml'].map((f) =>
      YAML.parse(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')),
    );
    const ids = await Promise.all(specs.map((s) => submit(alice, s)));
    const done = await Promise.all(ids.map((id) => until(alice, id, terminal, 'finished')));
    expect(done.map((d) => d.status)).toEqual(['completed', 'completed']);
    for (const id of ids) {
      const arts = await alice.get<{ artifacts: { path: string }[] }>(`/v1/jobs/${id}/artifacts`);
      expect(arts.status).toBe(200);
      expect(arts.body.artifacts.length).toBeGreaterThan(0);
    }
    // The command pipeline's train step ran on a GPU worker process (the simulated inventory).
    const desc = await client.workflow.getHandle(ids[1]!).describe();
    expect(desc.taskQueue).toBe('trainyard-workflows');
  }, 300_000);
});

describe('production topology: SQL visibility', () => {
  it('when jobs are listed and filtered by every search attribute, then each filter finds exactly its jobs, running first, then most recently finished', async () => {
    const tag = `vis-${run}`;
    const done1 = await submit(bob, {
      ...sleepJob(`vis-a-${run}`, { chain: 1, ms: 50, tags: [tag, 'first'], priority: 1 }),
    });
    await until(bob, done1, terminal, 'finished');
    const withData = await submit(bob, {
      name: `vis-b-${run}`,
      tags: [tag, 'second'],
      priority: 2,
      nodes: [{ id: 'data', type: 'dataset', config: { name: 'iris' } }],
    });
    await until(bob, withData, terminal, 'finished');
    const failed = await submit(bob, {
      ...sleepJob(`vis-c-${run}`, { chain: 1, tags: [tag], priority: 4, failNode: 's0', recoveryWindow: '10m' }),
    });
    await until(bob, failed, (s) => s.status === 'failed', 'failed and recoverable');
    const running = await submit(bob, sleepJob(`vis-d-${run}`, { chain: 1, ms: 60_000, tags: [tag], priority: 5 }));
    await until(bob, running, (s) => s.status === 'running', 'running');

    const ids = async (query: string) => {
      const page = await bob.get<{ jobs: { id: string }[] }>(`/v1/jobs?${query}`);
      expect(page.status).toBe(200);
      return page.body.jobs.map((j) => j.id).filter((id) => [done1, withData, failed, running].includes(id));
    };
    await waitFor(async () => (await ids(`tag=${tag}`)).length === 4 || undefined, {
      timeoutMs: 30_000,
      what: 'visibility catching up',
    });
    // Listing order without ORDER BY (SQL visibility): open executions first, newest start first,
    // then closed ones, most recently closed first.
    expect(await ids(`tag=${tag}`)).toEqual([running, failed, withData, done1]);
    expect(await ids(`tag=${tag}&status=completed`)).toEqual([withData, done1]); // JobStatus (Keyword)
    expect(await ids(`tag=${tag}&type=dataset`)).toEqual([withData]); // JobTypes (KeywordList)
    expect(await ids('tag=second')).toEqual([withData]); // JobTags (KeywordList)
    expect(await ids(`tag=${tag}&recoverable=true`)).toEqual([failed]); // JobRecoverable (Bool)
    expect(await ids(`tag=${tag}&status=running`)).toEqual([running]);
    // JobOwner (Keyword): bob's jobs are not alice's; an admin filters by owner.
    const aliceSees = await alice.get<{ jobs: { id: string }[] }>(`/v1/jobs?tag=${tag}`);
    expect(aliceSees.body.jobs).toEqual([]);
    const adminSees = await admin.get<{ jobs: { id: string }[] }>(`/v1/jobs?owner=bob&tag=${tag}`);
    expect(adminSees.body.jobs.map((j) => j.id)).toEqual([running, failed, withData, done1]);
    // JobPriority (Int) has no API filter: Temporal's own query language finds it, with ranges.
    const count = async (q: string) => (await client.workflow.count(`JobTags = '${tag}' AND ${q}`)).count;
    expect(await count('JobPriority = 2')).toBe(1);
    expect(await count('JobPriority >= 4')).toBe(2);
    expect(await count(`JobOwner = 'bob' AND JobStatus = 'failed' AND JobRecoverable = true`)).toBe(1);
    expect(await count(`JobTypes = 'command'`)).toBe(3);
    // ORDER BY is refused by SQL visibility: the reason the order above is fixed.
    await expect(
      client.workflowService.listWorkflowExecutions({
        namespace: state.temporal.namespace,
        query: `JobTags = '${tag}' ORDER BY StartTime`,
      }),
    ).rejects.toThrow(/ORDER BY/i);
    // The Temporal CLI sees the same.
    const listed = await temporalCli(topo, ['workflow', 'list', '--query', `JobTags = '${tag}'`, '-o', 'json']);
    expect((JSON.parse(listed) as { execution: { workflowId: string } }[]).map((e) => e.execution.workflowId)).toEqual([
      running,
      failed,
      withData,
      done1,
    ]);

    expect((await bob.post(`/v1/jobs/${running}/cancel`)).status).toBe(200);
    expect((await until(bob, running, terminal, 'cancelled')).status).toBe('cancelled');
  }, 300_000);
});

/** dataset → split → preprocess → train (checkpoints every 5 epochs, ~4 s) on a GPU worker → evaluate. */
function trainingJob(name: string) {
  return {
    name,
    tags: ['prod-control'],
    recoveryWindow: '10m',
    nodes: [
      { id: 'data', type: 'dataset', config: { name: 'iris' } },
      { id: 'split', type: 'split', dependsOn: ['data'], config: { testSize: 0.2 } },
      { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
      {
        id: 'train',
        type: 'train',
        dependsOn: ['prep'],
        resources: { gpus: 1 },
        timeout: { heartbeat: '5s' },
        config: { model: 'mlp', epochs: 40, hiddenLayers: [8], epochDelayMs: 100, checkpointEvery: 5 },
      },
      { id: 'eval', type: 'evaluate', dependsOn: ['train'] },
    ],
  };
}

const trainRunning = (s: Awaited<ReturnType<typeof statusOf>>) =>
  s.nodes.some((n) => n.id === 'train' && n.status === 'running');

describe('production topology: control', () => {
  it('when a job is paused, paused now, resumed, cancelled and recovered through the API, then each takes effect', async () => {
    const id = await submit(alice, trainingJob(`ctl-api-${run}`));
    await until(alice, id, trainRunning, 'training');
    expect((await alice.post(`/v1/jobs/${id}/pause`, { mode: 'now' })).status).toBe(200);
    await until(
      alice,
      id,
      (s) => s.status === 'paused' && s.nodes.find((n) => n.id === 'train')?.status === 'paused',
      'paused now',
    );
    expect((await alice.post(`/v1/jobs/${id}/resume`)).status).toBe(200);
    await until(alice, id, trainRunning, 'training again');
    expect((await alice.post(`/v1/jobs/${id}/pause`)).status).toBe(200); // drain: train finishes, nothing new starts
    await until(
      alice,
      id,
      (s) => s.status === 'paused' && s.nodes.find((n) => n.id === 'train')?.status === 'completed',
      'paused after train',
    );
    expect((await alice.post(`/v1/jobs/${id}/resume`)).status).toBe(200);
    const finished = await until(alice, id, terminal, 'finished');
    expect(finished.status).toBe('completed');
    // Pause-now stopped train (it checkpointed); resume started it a second time.
    expect(finished.nodes.find((n) => n.id === 'train')?.executions).toBe(2);

    const failing = await submit(
      alice,
      sleepJob(`ctl-rec-${run}`, { chain: 2, failNode: 's1', recoveryWindow: '10m' }),
    );
    await until(alice, failing, (s) => s.status === 'failed', 'failed');
    const rec = await alice.post<{ status: string }>(`/v1/jobs/${failing}/recover`, {});
    expect(rec.status).toBe(200);
    // s1 fails again (it always exits 3): the recovery ran exactly it again.
    const again = await until(alice, failing, (s) => s.status === 'failed', 'failed again');
    expect(again.nodes.find((n) => n.id === 's0')?.status).toBe('completed');
    expect((await alice.post(`/v1/jobs/${failing}/cancel`)).status).toBe(200);
    expect((await until(alice, failing, terminal, 'cancelled')).status).toBe('cancelled');
  }, 300_000);

  it('when the same controls go through the Temporal CLI (updates, signals, cancel), then the job follows them', async () => {
    const id = await submit(alice, trainingJob(`ctl-cli-${run}`));
    await until(alice, id, trainRunning, 'training');
    const out = await temporalCli(topo, [
      'workflow',
      'update',
      'execute',
      '-w',
      id,
      '--name',
      'pauseJob',
      '--input',
      '{"mode":"now"}',
    ]);
    expect(out).toMatch(/paused now/);
    await until(alice, id, (s) => s.status === 'paused', 'paused by the CLI');
    await temporalCli(topo, ['workflow', 'signal', '-w', id, '--name', 'resume']);
    await until(alice, id, trainRunning, 'resumed by a CLI signal');
    await temporalCli(topo, ['workflow', 'cancel', '-w', id]);
    expect((await until(alice, id, terminal, 'cancelled by the CLI')).status).toBe('cancelled');

    const failing = await submit(
      alice,
      sleepJob(`ctl-cli-rec-${run}`, { chain: 2, failNode: 's1', recoveryWindow: '10m' }),
    );
    await until(alice, failing, (s) => s.status === 'failed', 'failed');
    const recovered = await temporalCli(topo, ['workflow', 'update', 'execute', '-w', failing, '--name', 'recoverJob']);
    expect(recovered).toMatch(/recovering: 1 node/);
    await until(alice, failing, (s) => s.status === 'failed', 'failed again');
    await temporalCli(topo, ['workflow', 'terminate', '-w', failing, '--reason', 'prod test done']);
  }, 300_000);
});
