// The sweep-family examples on a real stack (API, real steps), one test each:
// - examples/sweep-select.yaml: six real MLP trials on the breast-cancer set, one evaluate per
//   trial; select must pick the trial whose evaluation really scored best, hand only the winner's
//   model to export, and the job view (API) and `trainyard status` (CLI) must show the leaderboard;
// - examples/foreach.yaml: a real command step's list fanned out to real command items;
// - examples/early-stop.yaml: real trainers reporting valMetric, the slow learners stopped early.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { JobView } from '../../src/http/contracts';
import { Leaderboard } from '../../src/domain/select';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { runCli } from '../helpers/cli';
import { waitFor } from '../helpers/temporal';

const ROOT = path.resolve(__dirname, '..', '..');
let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

const cli = (args: string[]) => runCli(s.api.url, args);

async function runExample(file: string): Promise<JobView> {
  const spec: unknown = YAML.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
  const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, spec);
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  let last: any;
  const done = await waitFor(
    async () => {
      const r = await apiCall(s, 'GET', `/v1/jobs/${id}`, KEYS.alice);
      last = r.body;
      return ['completed', 'failed'].includes(r.body.status) ? r.body : undefined;
    },
    { timeoutMs: 170_000, intervalMs: 500 },
  ).catch((err: Error) => {
    // Say where it stood: the job's status and every node's, with its first error line.
    const nodes = (last?.nodes ?? []).map(
      (n: any) => `${n.id}=${n.status}${n.error ? ` (${String(n.error.message).split('\n')[0]})` : ''}`,
    );
    throw new Error(`${file}: ${err.message}; job ${last?.status}: ${nodes.join(', ')}`);
  });
  return JobView.parse(done);
}

test('when examples/foreach.yaml runs, then each shard the first step listed is counted by its own item node and the report runs after the map', async () => {
  const view = await runExample('foreach.yaml');
  expect(view.status).toBe('completed');
  const items = view.nodes.filter((n) => n.item?.map === 'count');
  expect(items.map((n) => n.id)).toEqual(Array.from({ length: 12 }, (_, i) => `count-i${String(i).padStart(2, '0')}`));
  for (const [k, n] of items.entries()) {
    expect(n.status).toBe('completed');
    expect(n.output?.summary.result).toEqual({ shard: `shard-${k}`, rows: 100 * `shard-${k}`.length });
  }
  const count = view.nodes.find((n) => n.id === 'count')!;
  expect(count.output?.summary).toMatchObject({ items: 12, completed: 12, failed: 0 });
  expect(count.map).toEqual({ items: 12, done: 12, completed: 12 });
  expect(view.nodes.find((n) => n.id === 'report')?.status).toBe('completed');
}, 200_000);

test('when examples/sweep-select.yaml runs, then select picks the trial with the best evaluated ROC-AUC and the view and CLI show the leaderboard', async () => {
  const spec: unknown = YAML.parse(fs.readFileSync(path.join(ROOT, 'examples/sweep-select.yaml'), 'utf8'));
  const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, spec);
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const view = JobView.parse(
    await waitFor(
      async () => {
        const r = await apiCall(s, 'GET', `/v1/jobs/${id}`, KEYS.alice);
        return ['completed', 'failed'].includes(r.body.status) ? r.body : undefined;
      },
      { timeoutMs: 170_000, intervalMs: 500 },
    ),
  );
  expect(view.status).toBe('completed');

  // The truth, from the six evaluations themselves.
  const evals = view.nodes.filter((n) => n.type === 'evaluate');
  expect(evals).toHaveLength(6);
  const scored = evals.map((n) => ({ id: n.id, auc: (n.output!.summary.metrics as Record<string, number>).rocAuc! }));
  const bestAuc = Math.max(...scored.map((x) => x.auc));
  const expectedWinner = scored.find((x) => x.auc === bestAuc)!.id;

  const best = view.nodes.find((n) => n.id === 'best')!;
  expect(best.output!.summary.winner).toBe(expectedWinner);
  expect(best.output!.summary.value).toBe(bestAuc);
  const board = Leaderboard.parse(best.output!.summary.leaderboard);
  expect(board.rows.map((r) => r.nodeId).sort()).toEqual(scored.map((x) => x.id).sort());
  expect(board.rows.map((r) => r.metric)).toEqual([...scored.map((x) => x.auc)].sort((a, b) => b - a));
  expect(board.rows[0]!.params).toEqual(evals.find((n) => n.id === expectedWinner)!.trial!.params);
  // Each trial trained on one (simulated) GPU: its GPU time is its train node's.
  for (const r of board.rows) expect(r.gpuSeconds).toBeGreaterThan(0);

  // The winner's model is the one exported.
  const winnerTrain = `train-t${evals.find((n) => n.id === expectedWinner)!.trial!.index}`;
  const exp = view.nodes.find((n) => n.id === 'export')!;
  expect(exp.status).toBe('completed');
  expect(exp.output!.refs!.model!.path).toContain(`/${winnerTrain}/model.json`);

  // The job view carries it; the leaderboard artifact has every row.
  expect(view.leaderboards).toEqual([{ node: 'best', ...board }]);
  const artifact = best.output!.artifacts.find((a) => a.name === 'leaderboard.json')!;
  expect(Leaderboard.parse(JSON.parse((await s.store.objects.get(artifact.path)).toString('utf8')))).toEqual(board);

  const st = await cli(['status', id]);
  expect({ code: st.code, err: st.err }).toEqual({ code: 0, err: '' });
  expect(st.out).toContain(`leaderboard of best: rocAuc (max), winner ${expectedWinner}; 6 of 6 ranked`);
  expect(st.out).toMatch(new RegExp(`│ 1\\s+│ ${expectedWinner}\\s+│ learningRate=`));
}, 200_000);

test('when examples/early-stop.yaml runs, then trials losing to the median are stopped (not failed) and select ranks only the others', async () => {
  const view = await runExample('early-stop.yaml');
  expect(view.status).toBe('completed');
  const trials = view.nodes.filter((n) => n.trial?.group === 'train');
  expect(trials).toHaveLength(6);
  const stopped = trials.filter((n) => n.status === 'stopped');
  expect(stopped.length).toBeGreaterThanOrEqual(1);
  expect(trials.filter((n) => n.status !== 'stopped').every((n) => n.status === 'completed')).toBe(true);
  for (const n of stopped) {
    expect(n.error?.type).toBe('TrainyardStoppedEarly');
    const epoch = Number(/at epoch (\d+)/.exec(n.error!.message)![1]);
    expect(epoch).toBeGreaterThanOrEqual(5);
    expect(epoch).toBeLessThan(60);
  }
  const board = view.leaderboards![0]!;
  expect(stopped.map((n) => n.id)).not.toContain(board.winner);
  expect(board.rows.filter((r) => r.status === 'stopped').every((r) => r.rank === undefined)).toBe(true);
  expect(board.ranked).toBe(6 - stopped.length);
}, 200_000);
