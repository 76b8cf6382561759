// Multi-host acceptance: the API, a CPU worker and two GPU workers as separate processes, each with
// its own private home and temp folder, sharing nothing but Temporal and the S3 server (MinIO):
// - the demo pipeline and examples/command-pipeline.yaml complete; every artifact's sha256 verifies;
// - SIGKILL of the GPU worker running `train` → the other resumes from the checkpoint it downloads;
// - the API serves live logs and every artifact of every node;
// - MinIO stopped for 10 s mid-job → steps retry and the job completes, with no partial object.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import { parseHeartbeat } from '../../src/domain/step-io';
import { minioAvailable, startTestMinio, type TestMinio } from '../helpers/minio';
import { RoleProcesses, type RoleProcess } from '../helpers/role-processes';
import { startTestTemporal, uniqueId, waitFor, workflowBundle, type TestTemporal } from '../helpers/temporal';

const REPO = path.resolve(__dirname, '..', '..');
const KEY = 'multi-host-key-0123456789';
const run = minioAvailable() ? describe : describe.skip;
jest.setTimeout(300_000);

interface Artifact {
  path: string;
  node: string;
  sha256: string;
  size: number;
  url: string;
}

run('multi-host: API, CPU worker and two GPU workers share only Temporal and MinIO', () => {
  let t: TestTemporal;
  let m: TestMinio;
  let api: RoleProcess;
  let apiUrl: string;
  const gpus: RoleProcess[] = [];
  const roles = new RoleProcesses();
  const prefix = uniqueId('mh');

  beforeAll(async () => {
    t = await startTestTemporal();
    m = await startTestMinio('multi-host');
    const bundleFile = path.join(t.tmpDir, 'workflow-bundle.js');
    fs.writeFileSync(bundleFile, (await workflowBundle()).code);
    const shared = {
      TEMPORAL_ADDRESS: t.server.address,
      TRAINYARD_QUEUE_PREFIX: prefix,
      TRAINYARD_ARTIFACT_STORE: `s3://${m.bucket}/trainyard`,
      AWS_ENDPOINT_URL: m.minio.endpoint,
      AWS_ACCESS_KEY_ID: m.minio.user,
      AWS_SECRET_ACCESS_KEY: m.minio.password,
      TRAINYARD_GPUS: '1x16',
      TRAINYARD_ALLOWED_COMMANDS: 'node,python3',
      TRAINYARD_SHUTDOWN_GRACE: '1s',
      TRAINYARD_LOG_LEVEL: 'info', // the ready lines (pino JSON: listening on …, queue …, pool …) are info
    };
    const [a] = await Promise.all([
      roles.start(
        'api',
        'src/api/main.ts',
        { ...shared, TRAINYARD_API_KEYS: `alice:${KEY}`, TRAINYARD_PORT: '0' },
        /listening on http/,
      ),
      roles.start(
        'cpu',
        'workers/cpu.ts',
        { ...shared, TRAINYARD_WORKFLOW_BUNDLE: bundleFile },
        /"name":"cpu-worker".*"msg":"queue /,
      ),
      roles.start('gpu-a', 'workers/gpu.ts', shared, /"name":"gpu-worker".*"msg":"pool /),
      roles.start('gpu-b', 'workers/gpu.ts', shared, /"name":"gpu-worker".*"msg":"pool /),
    ]);
    api = a;
    apiUrl = /listening on (http:\/\/\S+)/.exec(api.output.find((l) => /listening on/.test(l))!)![1]!;
    gpus.push(...roles.all.filter((r) => r.name.startsWith('gpu')));
  }, 300_000);

  afterAll(async () => {
    await roles.stopAll();
    await m?.teardown();
    await t?.teardown();
  });

  const get = (p: string) => fetch(`${apiUrl}${p}`, { headers: { 'x-api-key': KEY } });
  const json = async <T>(p: string): Promise<T> => (await (await get(p)).json()) as T;

  async function submit(spec: unknown): Promise<string> {
    const r = await fetch(`${apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    const body = (await r.json()) as { id: string };
    expect(r.status).toBe(201);
    return body.id;
  }

  async function finished(id: string): Promise<{ status: string; nodes: any[] }> {
    return waitFor(
      async () => {
        const j = await json<{ status: string; nodes: any[] }>(`/v1/jobs/${id}`);
        return ['completed', 'failed', 'cancelled'].includes(j.status) && j;
      },
      { timeoutMs: 280_000, intervalMs: 500, what: `job ${id} to finish` },
    );
  }

  /** Every artifact the API lists, downloaded through the API: its bytes match the listed size and sha256, and every node output's refs are among them. */
  async function verifyArtifacts(id: string, job: { nodes: any[] }): Promise<Artifact[]> {
    const { artifacts } = await json<{ artifacts: Artifact[] }>(`/v1/jobs/${id}/artifacts`);
    for (const a of artifacts) {
      const bytes = Buffer.from(await (await get(a.url)).arrayBuffer());
      expect({ path: a.path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({
        path: a.path,
        size: a.size,
        sha256: a.sha256,
      });
    }
    const byKey = new Map(artifacts.map((a) => [a.sha256, a]));
    for (const n of job.nodes) {
      expect({ node: n.id, status: n.status }).toEqual({ node: n.id, status: 'completed' });
      for (const ref of [...n.output.artifacts, ...Object.values(n.output.refs ?? {})] as {
        sha256: string;
        uri: string;
      }[]) {
        expect(ref.uri).toMatch(new RegExp(`^s3://${m.bucket}/trainyard/alice/`));
        expect(byKey.has(ref.sha256)).toBe(true);
      }
    }
    for (const n of job.nodes) expect(artifacts.some((a) => a.node === n.id)).toBe(true);
    return artifacts;
  }

  const demo = (name: string, train: Record<string, unknown>) => {
    const spec = YAML.parse(fs.readFileSync(path.join(REPO, 'examples/pipeline.yaml'), 'utf8'));
    spec.name = name;
    for (const n of spec.nodes) {
      n.retry = { maxAttempts: 20, initialInterval: '1s', maxInterval: '2s' };
      if (n.id === 'train') {
        Object.assign(n.config, train);
        n.timeout = { heartbeat: '4s' };
      }
    }
    return spec;
  };

  test('examples/command-pipeline.yaml completes across hosts; its artifacts verify', async () => {
    const spec = YAML.parse(fs.readFileSync(path.join(REPO, 'examples/command-pipeline.yaml'), 'utf8'));
    const id = await submit(spec);
    const job = await finished(id);
    expect(job.status).toBe('completed');
    const artifacts = await verifyArtifacts(id, job);
    expect(artifacts.map((a) => a.path)).toEqual(
      expect.arrayContaining(['train/logs/output.log', 'train/metrics.jsonl']),
    );
    expect(await (await get(`/v1/jobs/${id}/logs?node=train`)).text()).toMatch(/attempt 1 started/);
  });

  test('the demo pipeline: live logs through the API, SIGKILL of the GPU worker running train, the other resumes from the stored checkpoint', async () => {
    const id = await submit(demo('demo-kill', { epochs: 60, epochDelayMs: 250, checkpointEvery: 5 }));
    // Live: a line the train step logs (on a GPU host) comes through the API while it runs.
    const follow = await get(`/v1/jobs/${id}/logs?node=train&follow=true`);
    const reader = follow.body!.getReader();
    let live = '';
    while (!/training mlp/.test(live)) {
      const { value, done } = await reader.read();
      if (done) break;
      live += Buffer.from(value).toString();
    }
    expect(live).toMatch(/training mlp for 60 epochs/);
    const running = await json<{ nodes: { id: string; status: string }[] }>(`/v1/jobs/${id}`);
    expect(running.nodes.find((n) => n.id === 'train')!.status).toBe('running');
    void reader.cancel();

    // The GPU worker holding train, once its heartbeat carries a stored checkpoint.
    const handle = t.client.workflow.getHandle(id);
    const holder = await waitFor(
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const train = pending.find((p) => p.activityType?.name === 'train');
        const beat = parseHeartbeat(
          fromPayloadsAtIndex(defaultPayloadConverter, 0, train?.heartbeatDetails?.payloads ?? undefined),
        );
        if (!beat?.checkpoint || (beat.epoch ?? 0) < 10) return undefined;
        const pid = Number(/^(\d+)@/.exec(train?.lastWorkerIdentity ?? '')?.[1]);
        return gpus.find((g) => g.pid === pid);
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'train to checkpoint on a GPU worker' },
    );
    process.kill(holder.pid, 'SIGKILL');
    await holder.exited;
    const survivor = gpus.find((g) => g !== holder)!;

    const job = await finished(id);
    expect(job.status).toBe('completed');
    const train = job.nodes.find((n) => n.id === 'train');
    expect(train.output.summary.resumedFromEpoch).toBeGreaterThanOrEqual(10);
    expect(train.output.meta.attempt).toBeGreaterThanOrEqual(2);
    const log = await (await get(`/v1/jobs/${id}/logs?node=train`)).text();
    expect(log).toMatch(
      /resumed from checkpoint at epoch \d+ \(alice\/runs\/.*checkpoints\/epoch-\d+\.json\), attempt [2-9]/,
    );
    await verifyArtifacts(id, job);
    expect(survivor.proc.exitCode).toBeNull();
    // Nothing was written to any process's private artifact folder: all of it is in the bucket.
    for (const r of roles.all) expect(fs.existsSync(path.join(r.home, 'artifacts', 'alice'))).toBe(false);
  });

  test('MinIO stopped for 10 s mid-job: the steps retry and the job completes, with every object whole', async () => {
    const id = await submit(demo('demo-outage', { epochs: 40, epochDelayMs: 200, checkpointEvery: 5 }));
    await waitFor(
      async () => {
        const j = await json<{ nodes: { id: string; status: string; live?: { epoch?: number } }[] }>(`/v1/jobs/${id}`);
        const train = j.nodes.find((n) => n.id === 'train');
        return train?.status === 'running' && (train.live?.epoch ?? 0) >= 6;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'train to be running' },
    );
    await m.minio.kill();
    await new Promise((r) => setTimeout(r, 10_000));
    await m.minio.restart();
    const job = await finished(id);
    expect(job.status).toBe('completed');
    const train = job.nodes.find((n) => n.id === 'train');
    expect(train.output.meta.attempt).toBeGreaterThanOrEqual(2);
    await verifyArtifacts(id, job);
  });
});
