// Rerun on a real stack (API, real steps, the local store): a finished job started again as a new
// job from its snapshot. An override on train runs exactly train and the nodes below it, the rest
// are `cached` from the old job's entries; `--from prep` runs prep and below again though nothing
// changed; rerunOf is in the new job's view, spec and `trainyard status`; 404 / 409 / 400 cases.
// The plan (POST /v1/jobs/validate, `trainyard validate`) marks the nodes that will hit the cache:
// all of a spec that already ran, exactly the nodes above a changed one — and the run agrees.
import fs from 'node:fs';
import path from 'node:path';
import { ValidateResult, type JobView } from '../../src/http/contracts';
import { TrainyardClient } from '../../src/sdk/api-client';
import { KEYS, apiCall, jobEnd, startApiStack, type ApiStack } from '../helpers/api-stack';
import { runCli } from '../helpers/cli';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

const IDS = ['data', 'split', 'prep', 'train', 'export', 'evaluate'];

function pipeline(name: string, trainConfig: Record<string, unknown> = {}) {
  return {
    name,
    cache: { version: 'rerun-test' },
    nodes: [
      { id: 'data', type: 'dataset', config: { name: 'iris' } },
      { id: 'split', type: 'split', dependsOn: ['data'], config: { testSize: 0.2, randomState: 42 } },
      { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
      {
        id: 'train',
        type: 'train',
        dependsOn: ['prep'],
        config: { model: 'mlp', hiddenLayers: [8], epochs: 20, seed: 7, ...trainConfig },
      },
      { id: 'export', type: 'export', dependsOn: ['train'] },
      { id: 'evaluate', type: 'evaluate', dependsOn: ['export'] },
    ],
  };
}

const finished = (id: string) => jobEnd(s, id, KEYS.alice);

async function run(spec: unknown): Promise<JobView> {
  const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, spec);
  expect(created.status).toBe(201);
  return finished(created.body.id);
}

const statuses = (v: JobView) => Object.fromEntries(v.nodes.map((n) => [n.id, n.status]));
/** The first `n` nodes (in pipeline order) cached, the rest run. */
const cachedAbove = (n: number) => Object.fromEntries(IDS.map((id, i) => [id, i < n ? 'cached' : 'completed']));
const cli = (args: string[]) => runCli(s.api.url, args);

let first: JobView;
let rerunId: string;

test('when a completed job is rerun with an override on train, then train and the nodes below it run and the rest are cached from the old job', async () => {
  first = await run(pipeline('rerun-base'));
  expect(first.status).toBe('completed');
  expect(statuses(first)).toEqual(cachedAbove(0));

  const r = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.alice, {
    overrides: { 'train.config.epochs': 25 },
  });
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ rerunOf: first.id, created: true, status: 'queued' });
  expect(r.body.id).not.toBe(first.id);
  expect(r.headers.get('location')).toBe(`/v1/jobs/${r.body.id}`);
  const rerun = await finished(r.body.id);
  rerunId = rerun.id;
  expect(rerun.status).toBe('completed');
  expect(rerun.rerunOf).toBe(first.id);
  expect(statuses(rerun)).toEqual(cachedAbove(3));
  for (const id of ['data', 'split', 'prep'])
    expect(rerun.nodes.find((n) => n.id === id)!.output!.cache).toMatchObject({
      hit: true,
      from: { jobId: first.id, nodeId: id },
    });
  for (const id of ['train', 'export', 'evaluate'])
    expect(rerun.nodes.find((n) => n.id === id)!.output!.cache).toMatchObject({ hit: false });

  // The override is in the new job's spec, and the new job says where it came from.
  const spec = await apiCall(s, 'GET', `/v1/jobs/${rerun.id}/spec`, KEYS.alice);
  expect(spec.status).toBe(200);
  expect(spec.body.rerunOf).toBe(first.id);
  expect(spec.body.spec.nodes.find((n: { id: string }) => n.id === 'train').config.epochs).toBe(25);
  const old = await apiCall(s, 'GET', `/v1/jobs/${first.id}/spec`, KEYS.alice);
  expect(old.body.rerunOf).toBeUndefined();
  expect(old.body.spec.nodes.find((n: { id: string }) => n.id === 'train').config.epochs).toBe(20);

  const status = await cli(['status', rerun.id]);
  expect(status.code).toBe(0);
  expect(status.out).toContain(`rerun of ${first.id}`);
  expect(status.out).toMatch(new RegExp(`data\\W+dataset\\W+cached\\W.*from ${first.id} data`));
}, 300_000);

const predictions = (plan: ValidateResult['plan']) =>
  Object.fromEntries(plan.nodes.map((n) => [n.id, n.cache?.prediction]));

test('when a spec that already ran is validated, then its plan marks every node as a predicted hit naming the job that stored it; a changed middle node marks exactly the nodes above it', async () => {
  const same = await apiCall(s, 'POST', '/v1/jobs/validate', KEYS.alice, pipeline('rerun-base'));
  expect(same.status).toBe(200);
  const plan = ValidateResult.parse(same.body).plan;
  expect(plan.cacheHits).toBe(IDS.length);
  for (const n of plan.nodes) {
    const ran = first.nodes.find((m) => m.id === n.id)!;
    expect(n.cache).toEqual({
      prediction: 'hit',
      key: ran.output!.cache!.key,
      from: { jobId: first.id, nodeId: n.id, storedAt: expect.any(String) },
    });
  }

  // The rerun's override stored train and below under new keys: the overridden spec hits them all.
  const over = ValidateResult.parse(
    (await apiCall(s, 'POST', '/v1/jobs/validate', KEYS.alice, pipeline('rerun-base', { epochs: 25 }))).body,
  ).plan;
  expect(Object.fromEntries(over.nodes.map((n) => [n.id, n.cache?.from?.jobId]))).toEqual({
    data: first.id,
    split: first.id,
    prep: first.id,
    train: rerunId,
    export: rerunId,
    evaluate: rerunId,
  });

  // prep changed: data and split above it hit; prep misses; what is below it cannot be known before the run.
  const changed = pipeline('rerun-base');
  (changed.nodes[2] as { config?: unknown }).config = { scale: 'minmax' };
  const mid = ValidateResult.parse((await apiCall(s, 'POST', '/v1/jobs/validate', KEYS.alice, changed)).body).plan;
  expect(predictions(mid)).toEqual({
    data: 'hit',
    split: 'hit',
    prep: 'miss',
    train: 'unknown',
    export: 'unknown',
    evaluate: 'unknown',
  });
  expect(mid.cacheHits).toBe(2);
  // Another owner's plan hits nothing (entries are scoped by owner).
  const bobs = ValidateResult.parse((await apiCall(s, 'POST', '/v1/jobs/validate', KEYS.bob, changed)).body).plan;
  expect(bobs.cacheHits).toBe(0);

  // The CLI shows it; and the run does what the plan said.
  const file = path.join(s.t.tmpDir, 'changed.json');
  fs.writeFileSync(file, JSON.stringify(changed));
  const shown = await cli(['validate', file]);
  expect(shown.code).toBe(0);
  expect(shown.out).toMatch(new RegExp(`split\\W.*hit \\(${first.id} split\\)`));
  expect(shown.out).toContain('step cache: 2 of 6 nodes predicted to hit');
  const ran = await run(changed);
  expect(statuses(ran)).toEqual(cachedAbove(2));
  // Now every node of it is a predicted hit.
  const after = ValidateResult.parse((await apiCall(s, 'POST', '/v1/jobs/validate', KEYS.alice, changed)).body).plan;
  expect(after.cacheHits).toBe(IDS.length);
}, 300_000);

test('when `trainyard rerun --from prep` runs, then prep and everything below it run again though nothing changed; the nodes above are cached', async () => {
  const out = await cli(['rerun', first.id, '--from', 'prep']);
  expect(out.code).toBe(0);
  const id = out.out.trim();
  expect(id).toMatch(/^job-[0-9a-f-]{36}$/);
  const rerun = await finished(id);
  expect(rerun.status).toBe('completed');
  expect(rerun.rerunOf).toBe(first.id);
  expect(statuses(rerun)).toEqual(cachedAbove(2));
  // Forced nodes do not use the cache at all (no lookup, no store).
  for (const n of rerun.nodes.filter((m) => m.status === 'completed')) expect(n.output!.cache).toBeUndefined();

  // --set from the CLI: the same override format as submit --set.
  const set = await cli(['rerun', first.id, '--set', 'evaluate.config.preferOnnx=false']);
  expect(set.code).toBe(0);
  const third = await finished(set.out.trim());
  expect(statuses(third)).toEqual(cachedAbove(5));
}, 300_000);

test('when the job is unknown or another owner’s, then 404; when fromNode or an override is bad, then a 400 naming it', async () => {
  const unknown = await apiCall(s, 'POST', '/v1/jobs/job-nope/rerun', KEYS.alice, {});
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('job_not_found');
  const bobs = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.bob, {});
  expect(bobs.status).toBe(404);

  const from = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.alice, { fromNode: 'trian' });
  expect(from.status).toBe(400);
  expect(from.body.error.details).toEqual([{ path: 'fromNode', message: 'no node "trian" in the job' }]);

  const value = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.alice, {
    overrides: { 'split.config.testSize': 5 },
  });
  expect(value.status).toBe(400);
  expect(value.body.error.code).toBe('validation_failed');
  expect(value.body.error.details).toEqual([
    { path: 'overrides.split.config.testSize', message: expect.stringContaining('nodes[1].config.testSize') },
  ]);

  const field = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.alice, {
    overrides: { 'train.config.epocs': 5 },
  });
  expect(field.status).toBe(400);
  expect(field.body.error.details.map((d: { path: string }) => d.path)).toEqual(['overrides.train.config.epocs']);

  const mapping = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.alice, {
    overrides: { 'train.config.epochs.x': 5 },
  });
  expect(mapping.status).toBe(400);
  expect(mapping.body.error.details).toEqual([
    { path: 'overrides.train.config.epochs.x', message: '"epochs" is not a mapping in the spec' },
  ]);

  const badPath = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.alice, { overrides: { 'train..x': 1 } });
  expect(badPath.status).toBe(400);
  expect(badPath.body.error.details[0].path).toMatch(/^body\.overrides/);

  const extra = await apiCall(s, 'POST', `/v1/jobs/${first.id}/rerun`, KEYS.alice, { fromnode: 'prep' });
  expect(extra.status).toBe(400);
}, 120_000);

test('when the job is still running, then 409; once it is cancelled, it can be rerun', async () => {
  const slow = pipeline('rerun-slow', { epochs: 400, epochDelayMs: 100 });
  const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, slow);
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await waitFor(
    async () => {
      const r = await apiCall(s, 'GET', `/v1/jobs/${id}`, KEYS.alice);
      return r.body.nodes?.find((n: { id: string }) => n.id === 'train')?.status === 'running' ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'train running' },
  );
  const busy = await apiCall(s, 'POST', `/v1/jobs/${id}/rerun`, KEYS.alice, {});
  expect(busy.status).toBe(409);
  expect(busy.body.error.code).toBe('job_not_finished');
  expect(busy.body.error.message).toContain('is running');

  expect((await apiCall(s, 'POST', `/v1/jobs/${id}/cancel`, KEYS.alice, {})).status).toBe(200);
  const cancelled = await finished(id);
  expect(cancelled.status).toBe('cancelled');
  // Through the TypeScript SDK this time.
  const sdk = new TrainyardClient({ url: s.api.url, apiKey: KEYS.alice });
  const again = await sdk.rerun(id, { overrides: { 'train.config.epochs': 10, 'train.config.epochDelayMs': 0 } });
  expect(again.rerunOf).toBe(id);
  const rerun = await finished(again.id);
  expect(rerun.status).toBe('completed');
  expect(rerun.rerunOf).toBe(id);
  // data, split and prep completed in the cancelled job with the same inputs as in the first job.
  expect(statuses(rerun)).toMatchObject({ data: 'cached', split: 'cached', prep: 'cached', train: 'completed' });
}, 300_000);
