// Faults on the production topology, with jobs in flight on the real worker processes:
//  - temporal-server SIGKILLed mid-job and started again → every job completes, none lost, every
//    artifact a node reports matches its object in the S3 store (at-least-once re-execution left nothing inconsistent);
//  - PostgreSQL stopped hard (immediate: no checkpoint, crash recovery on start) and started again
//    → the server and the workers reconnect by themselves and every job completes.
import { startPostgres, stopPostgres } from '../../deploy/prod-local/postgres';
import { running, stopDaemon } from '../../deploy/prod-local/processes';
import { startTemporalServer, storeConfigOf, waitTemporal } from '../../deploy/prod-local/topology';
import { S3ObjectStore } from '../../src/storage/s3-object-store';
import { checkArtifacts, pipeline } from '../chaos/ml-stack';
import { waitFor } from '../helpers/temporal';
import { api, prod, sleepJob } from './prod-env';

const { state, topo, keys } = prod();
const alice = api(state, keys.alice!);
// The services' store: the topology's MinIO, as their compose environment names it.
const store = new S3ObjectStore(storeConfigOf(topo));
const run = Date.now().toString(36);

interface View {
  status: string;
  nodes: { id: string; status: string; attempts: number; output?: never; live?: unknown }[];
}

async function submitMix(tag: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    // Half ML pipelines with a checkpointing GPU training step, half chains of CPU subprocesses.
    const spec =
      i % 2 === 0
        ? {
            ...pipeline(`${tag}-${i}`, { epochs: 30, epochDelayMs: 100, checkpointEvery: 5, heartbeat: '3s' }),
            tags: [tag],
          }
        : sleepJob(`${tag}-${i}`, { chain: 4, ms: 700, tags: [tag] });
    const r = await alice.post<{ id: string }>('/v1/jobs', spec);
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  return ids;
}

async function view(id: string): Promise<View | undefined> {
  // While the server or database is down the API answers 5xx: that is the outage, not a result.
  const r = await alice.get<View>(`/v1/jobs/${id}`).catch(() => undefined);
  return r?.status === 200 ? r.body : undefined;
}

async function allFinished(ids: string[]): Promise<View[]> {
  return waitFor(
    async () => {
      const vs = await Promise.all(ids.map(view));
      return vs.every((v) => v && ['completed', 'failed', 'cancelled'].includes(v.status)) ? (vs as View[]) : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 1000, what: 'every job finished' },
  );
}

async function someTraining(ids: string[]): Promise<void> {
  await waitFor(
    async () => {
      const vs = await Promise.all(ids.map(view));
      return vs.some((v) => v?.nodes.some((n) => n.id === 'train' && n.status === 'running' && n.live !== undefined));
    },
    { timeoutMs: 120_000, intervalMs: 200, what: 'a job training' },
  );
}

async function countTagged(tag: string): Promise<number> {
  const page = await alice.get<{ jobs: unknown[] }>(`/v1/jobs?tag=${tag}&pageSize=200`);
  return page.body.jobs.length;
}

describe('production topology: faults', () => {
  it('when temporal-server is SIGKILLed mid-job and started again, then every job completes, none is lost, artifacts are consistent', async () => {
    const tag = `kill-${run}`;
    const ids = await submitMix(tag, 6);
    await someTraining(ids);
    const serverBin = running(topo.dirs, 'temporal-server')!.argv[0]!;
    await stopDaemon(topo.dirs, 'temporal-server', { signal: 'SIGKILL', graceMs: 0 });
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    const proc = startTemporalServer(topo, serverBin);
    await waitTemporal(topo, proc);
    const views = await allFinished(ids);
    expect(views.map((v) => v.status)).toEqual(ids.map(() => 'completed'));
    expect(await countTagged(tag)).toBe(ids.length);
    const artifacts = await checkArtifacts(
      store,
      views.flatMap((v) => v.nodes.map((n) => n.output)),
    );
    expect(artifacts.problems).toEqual([]);
    expect(artifacts.checked).toBeGreaterThan(10);
    const attempts = views.flatMap((v) => v.nodes.map((n) => n.attempts)).reduce((a, b) => a + b, 0);
    console.log(
      `server SIGKILL: ${ids.length} jobs completed (server back in ${((Date.now() - started) / 1000).toFixed(1)} s); ${artifacts.checked} artifacts verified; ${attempts} attempts for ${views.reduce((a, v) => a + v.nodes.length, 0)} nodes`,
    );
  }, 420_000);

  it('when PostgreSQL stops hard mid-job and starts again, then the server and the workers reconnect and every job completes', async () => {
    const tag = `pg-${run}`;
    const ids = await submitMix(tag, 4);
    await someTraining(ids);
    stopPostgres(topo.pg, 'immediate');
    await new Promise((r) => setTimeout(r, 5000));
    await startPostgres(topo.pg);
    const views = await allFinished(ids);
    expect(views.map((v) => v.status)).toEqual(ids.map(() => 'completed'));
    expect(await countTagged(tag)).toBe(ids.length);
    expect(
      (
        await checkArtifacts(
          store,
          views.flatMap((v) => v.nodes.map((n) => n.output)),
        )
      ).problems,
    ).toEqual([]);
    // Nothing had to be restarted: the same server and worker processes carried on.
    for (const name of Object.keys(state.services).filter((n) => n !== 'temporal-server'))
      expect(`${name} ${running(topo.dirs, name) ? 'running' : 'gone'}`).toBe(`${name} running`);
    expect(running(topo.dirs, 'temporal-server')).toBeDefined();
  }, 420_000);
});
