// Replays the committed job-workflow histories (test/fixtures/histories, recorded by
// test/fixtures/record-histories.ts) against today's workflow code: any non-determinism fails here.
import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import { TrialMetricReport } from '../../src/domain/early-stop';
import { FAILURE_TYPES } from '../../src/domain/failure-types';
import { Leaderboard } from '../../src/domain/select';
import { itemNodeId } from '../../src/domain/sweep-spec';
import { historyFromFixtureJSON } from '../fixtures/history-json';
import { patchIds, peakInFlight, runEnd, signalsOf, startedSpec, stepCalls } from '../helpers/history-events';
import { workflowBundle } from '../helpers/temporal';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string) {
  return {
    workflowId: path.basename(file, '.json'),
    history: historyFromFixtureJSON(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'))),
  };
}

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed
  }
});

/** Recorded with `recover-ckpt --only sweep,foreach,early-stop` (issue 17); each is inspected below. */
const SWEEP_SCENARIOS = ['sweep', 'foreach', 'early-stop'];
const SCENARIOS = ['cancel', 'chain', 'continue-as-new', 'diamond', 'failure-recovery', 'pause-now', 'pause-resume'];
/** `[<generation>.]<scenario>[.run-N].json`: a generation is the set recorded after one patched() change. */
function parseFixture(file: string): { generation: string; scenario: string } {
  const stem = file.replace(/\.run-\d+\.json$|\.json$/, '');
  const dot = stem.indexOf('.');
  return dot < 0
    ? { generation: '', scenario: stem }
    : { generation: stem.slice(0, dot), scenario: stem.slice(dot + 1) };
}

test('every generation of fixtures covers chain, diamond, failure + recovery, pause/resume, pause now, cancel and continue-as-new; the first also the upgrade moves; recover-ckpt also the step cache, sweep, foreach and early stop', () => {
  const byGeneration = new Map<string, Set<string>>();
  for (const f of files) {
    const { generation, scenario } = parseFixture(f);
    byGeneration.set(generation, (byGeneration.get(generation) ?? new Set()).add(scenario));
  }
  // '' = recorded before any patch; eager-cpu = CPU steps on the workflow queue + the Trigger wake-up;
  // recover-ckpt = failed/cancelled nodes keep their checkpoint and recover resumes from it (with a
  // recover-checkpoint scenario of its own).
  expect([...byGeneration.keys()].sort()).toEqual(['', 'eager-cpu', 'recover-ckpt']);
  expect(byGeneration.get('recover-ckpt')!.has('recover-checkpoint')).toBe(true);
  for (const scenarios of byGeneration.values())
    expect([...scenarios].sort()).toEqual(expect.arrayContaining(SCENARIOS));
  // Recorded by test/prod/rolling-upgrade.test.ts (TRAINYARD_RECORD_FIXTURES=1): a running job and an
  // idle one (failed, waiting for recover; woken by the upgrade signal) continuing as new onto a new build.
  // Recorded with `--only gpu-quota`: a GPU node waiting for its quota lease, and the quota entity itself.
  expect([...byGeneration.get('')!].sort()).toEqual(
    [...SCENARIOS, 'gpu-quota', 'quota-entity', 'upgrade-idle', 'upgrade-running'].sort(),
  );
  // Recorded with `recover-ckpt --only credits`: a job settling its credits (patched 'credits-settle') and its account entity.
  // With `recover-ckpt --only notify`: notifications (patched 'notify'): waiting_for_recover (a 500, retried), recover, completed, one refused.
  expect([...byGeneration.get('recover-ckpt')!]).toEqual(
    expect.arrayContaining(['credits', 'account-entity', 'notify']),
  );
  // Recorded with `recover-ckpt --only step-cache`: two cache hits and a miss stored (patched 'step-cache').
  expect([...byGeneration.get('recover-ckpt')!]).toEqual(expect.arrayContaining(['step-cache']));
  expect([...byGeneration.get('recover-ckpt')!]).toEqual(expect.arrayContaining(SWEEP_SCENARIOS));
  for (const g of byGeneration.keys())
    expect(files.filter((f) => f.startsWith(`${g ? `${g}.` : ''}continue-as-new.run-`)).length).toBeGreaterThanOrEqual(
      2,
    );
});

test.each(files)('when %s is replayed against the current workflow, then it replays without errors', async (file) => {
  const result = await Worker.runReplayHistory(
    { workflowBundle: await workflowBundle() },
    load(file).history,
    load(file).workflowId,
  );
  expect(result).toBeUndefined();
});

test('when all histories are replayed in one batch, then none reports an error', async () => {
  const errors: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, files.map(load))) {
    if (r.error) errors.push(`${r.workflowId}: ${r.error.message}`);
  }
  expect(errors).toEqual([]);
});

test('when the poison-signal history (signals with encoding foo/bar) is replayed without the payload guard, then it fails — so the fixture exercises the guard', async () => {
  const unguarded = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const { history, workflowId } = load('eager-cpu.poison-signal.json');
  await expect(Worker.runReplayHistory({ workflowBundle: unguarded }, history, workflowId)).rejects.toThrow(
    /Unknown encoding: foo\/bar/,
  );
});

test('when a history is replayed against an altered workflow, then a DeterminismViolationError is raised', async () => {
  const altered = await bundleWorkflowCode({
    workflowsPath: require.resolve('../fixtures/altered-workflow'),
    logger: new DefaultLogger('WARN'),
  });
  const { history, workflowId } = load('diamond.json');
  await expect(Worker.runReplayHistory({ workflowBundle: altered }, history, workflowId)).rejects.toThrow(
    DeterminismViolationError,
  );
});

/**
 * The runs of one recorded workflow in order (`<stem>.json`, or `<stem>.run-1.json` … `.run-N.json`),
 * checked whole: numbered from 1 without a gap, every run but the last continued as new, and the
 * last completed — so a fixture file that goes missing fails here, not only its replay case.
 */
function runsOf(stem: string): History[] {
  const numbered = files
    .map((f) => (f.startsWith(`${stem}.run-`) ? Number(/\.run-(\d+)\.json$/.exec(f)?.[1]) : NaN))
    .filter((n) => !Number.isNaN(n))
    .sort((a, b) => a - b);
  const names = files.includes(`${stem}.json`) ? [`${stem}.json`] : numbered.map((n) => `${stem}.run-${n}.json`);
  if (names.length === 0) throw new Error(`no fixture ${stem}.json nor ${stem}.run-1.json in ${DIR}`);
  expect(numbered).toEqual(numbered.map((_, k) => k + 1));
  const runs = names.map((f) => load(f).history);
  expect(runs.map((h) => runEnd(h).event)).toEqual(
    runs.map((_, k) => (k < runs.length - 1 ? 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW' : 'WORKFLOW_EXECUTION_COMPLETED')),
  );
  return runs;
}

const statusesOf = (runs: History[]) => runEnd(runs.at(-1)!).result!.nodes.map((n) => [n.id, n.status]);

test('the sweep fixture: the matrix expanded at submit into 4 trials, at most 2 at once, fanning into select, which ranks them all (fit-t3 wins)', () => {
  const runs = runsOf('recover-ckpt.sweep');
  expect(runs).toHaveLength(1);
  const run = runs[0]!;
  const spec = startedSpec(run);
  // The snapshot holds the expanded nodes (expandSweeps at submit), not the swept node.
  expect(spec.nodes.map((n) => [n.id, n.trial, n.dependsOn])).toEqual([
    ['fit-t0', { group: 'fit', index: 0, params: { base: 0.7 } }, []],
    ['fit-t1', { group: 'fit', index: 1, params: { base: 0.55 } }, []],
    ['fit-t2', { group: 'fit', index: 2, params: { base: 0.4 } }, []],
    ['fit-t3', { group: 'fit', index: 3, params: { base: 0.8 } }, []],
    ['best', undefined, ['fit-t0', 'fit-t1', 'fit-t2', 'fit-t3']],
    ['report', undefined, ['best']],
  ]);
  expect(spec.sweeps?.fit).toMatchObject({ strategy: 'grid', trials: 4, maxParallel: 2 });
  expect(patchIds(run)).toContain('select-candidates');
  const calls = stepCalls(run);
  const trials = calls.filter((c) => c.input.nodeId.startsWith('fit-t'));
  expect(trials.map((c) => [c.activityType, c.input.nodeId, c.input.params, c.outcome])).toEqual([
    ['command', 'fit-t0', { base: 0.7 }, 'completed'],
    ['command', 'fit-t1', { base: 0.55 }, 'completed'],
    ['command', 'fit-t2', { base: 0.4 }, 'completed'],
    ['command', 'fit-t3', { base: 0.8 }, 'completed'],
  ]);
  expect(peakInFlight(trials)).toBe(2);
  const select = calls.filter((c) => c.activityType === 'select');
  expect(select.map((c) => [c.input.nodeId, c.outcome])).toEqual([['best', 'completed']]);
  expect(select[0]!.scheduledAt).toBeGreaterThan(Math.max(...trials.map((c) => c.closedAt!)));
  expect(select[0]!.input.candidates?.map((c) => [c.nodeId, c.status])).toEqual(
    trials.map((c) => [c.input.nodeId, 'completed']),
  );
  const board = Leaderboard.parse(select[0]!.output?.summary.leaderboard);
  expect([board.winner, board.rows.map((r) => [r.nodeId, r.rank, r.metric])]).toEqual([
    'fit-t3',
    [
      ['fit-t3', 1, 0.81],
      ['fit-t0', 2, 0.71],
      ['fit-t1', 3, 0.56],
      ['fit-t2', 4, 0.41],
    ],
  ]);
  expect(calls.find((c) => c.input.nodeId === 'report')?.scheduledAt).toBeGreaterThan(select[0]!.closedAt!);
  expect(statusesOf(runs)).toEqual(spec.nodes.map((n) => [n.id, 'completed']));
});

test('the foreach fixture: the list shards produced at run time expands into 20 item nodes, at most 4 at once, across continue-as-new; 2 fail and minSuccessRatio 0.8 lets merge run', () => {
  const runs = runsOf('recover-ckpt.foreach');
  expect(runs.length).toBeGreaterThanOrEqual(2); // the map stayed open across continue-as-new
  expect(patchIds(runs[0]!)).toContain('foreach');
  // The items are not in the snapshot: the workflow expands them from shards' output.
  expect(startedSpec(runs[0]!).nodes.map((n) => [n.id, n.foreach])).toEqual([
    ['shards', undefined],
    ['work', { node: 'shards', field: 'result.items', maxParallel: 4, minSuccessRatio: 0.8 }],
    ['merge', undefined],
  ]);
  const perRun = runs.map(stepCalls);
  const items = perRun.flatMap((calls) => calls.filter((c) => c.input.nodeId.startsWith('work-i')));
  const expected = Array.from({ length: 20 }, (_, k) => [
    itemNodeId('work', k, 20),
    { item: { i: k, fail: k % 10 === 0 } },
    k % 10 === 0 ? 'failed' : 'completed',
  ]);
  expect(
    items
      .map((c) => [c.input.nodeId, c.input.params, c.outcome])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  ).toEqual(expected);
  expect(perRun.flat().filter((c) => c.input.nodeId === 'work')).toEqual([]); // the map node runs nothing itself
  const peaks = perRun.map((calls) => peakInFlight(calls.filter((c) => c.input.nodeId.startsWith('work-i'))));
  expect(Math.max(...peaks)).toBe(4);
  const last = perRun.at(-1)!;
  const merge = last.find((c) => c.input.nodeId === 'merge');
  expect(merge?.outcome).toBe('completed');
  expect(merge!.scheduledAt).toBeGreaterThan(Math.max(...last.filter((c) => c !== merge).map((c) => c.closedAt!)));
  const work = runEnd(runs.at(-1)!).result!.nodes.find((n) => n.id === 'work');
  expect(work?.status).toBe('completed');
  expect(work?.output?.summary).toMatchObject({
    items: 20,
    completed: 18,
    failed: 2,
    minSuccessRatio: 0.8,
    failedItems: ['work-i00', 'work-i10'],
  });
});

test('the early-stop fixture: trials report acc by signal, the median rule stops fit-t1 and fit-t2 once three trials reached epoch 3, and select ranks only fit-t3 and fit-t0', () => {
  const runs = runsOf('recover-ckpt.early-stop');
  expect(patchIds(runs[0]!)).toContain('sweep-tolerance');
  const spec = startedSpec(runs[0]!);
  expect(spec.sweeps?.fit?.earlyStop).toEqual({
    metric: 'acc',
    mode: 'max',
    rule: 'median',
    afterEpochs: 3,
    every: 1,
    minTrials: 2,
  });
  const trials = runs.flatMap(stepCalls).filter((c) => c.input.nodeId.startsWith('fit-t'));
  expect(trials.map((c) => [c.input.nodeId, c.input.report, c.outcome, c.cancelRequestedAt !== undefined])).toEqual([
    ['fit-t0', { metric: 'acc', every: 1, execution: 1 }, 'completed', false],
    ['fit-t1', { metric: 'acc', every: 1, execution: 1 }, 'canceled', true],
    ['fit-t2', { metric: 'acc', every: 1, execution: 1 }, 'canceled', true],
    ['fit-t3', { metric: 'acc', every: 1, execution: 1 }, 'completed', false],
  ]);
  // The trials ran in run 1, so their reports and the stops are there.
  const reports = signalsOf(runs[0]!, 'trialMetric').map((s) => ({ at: s.at, ...TrialMetricReport.parse(s.arg) }));
  for (const id of ['fit-t0', 'fit-t1', 'fit-t2', 'fit-t3'])
    expect(reports.filter((r) => r.nodeId === id && r.epoch <= 3).map((r) => r.epoch)).toEqual([1, 2, 3]);
  for (const t of trials.filter((c) => c.outcome === 'canceled')) {
    // Judged at epoch 3 at the earliest (afterEpochs), against at least 2 other trials there (minTrials).
    const before = reports.filter((r) => r.at < t.cancelRequestedAt!);
    expect(new Set(before.filter((r) => r.epoch === 3).map((r) => r.nodeId)).size).toBeGreaterThanOrEqual(3);
    expect(before.some((r) => r.nodeId === t.input.nodeId && r.epoch === 3)).toBe(true);
  }
  const select = runs.flatMap(stepCalls).filter((c) => c.activityType === 'select');
  expect(select).toHaveLength(1);
  expect(select[0]!.input.candidates?.map((c) => [c.nodeId, c.status])).toEqual([
    ['fit-t0', 'completed'],
    ['fit-t1', 'stopped'],
    ['fit-t2', 'stopped'],
    ['fit-t3', 'completed'],
  ]);
  const board = Leaderboard.parse(select[0]!.output?.summary.leaderboard);
  expect([board.winner, board.rows.map((r) => [r.nodeId, r.rank, r.status])]).toEqual([
    'fit-t3',
    [
      ['fit-t3', 1, 'completed'],
      ['fit-t0', 2, 'completed'],
      ['fit-t1', undefined, 'stopped'],
      ['fit-t2', undefined, 'stopped'],
    ],
  ]);
  const result = runEnd(runs.at(-1)!).result!;
  expect(statusesOf(runs)).toEqual([
    ['fit-t0', 'completed'],
    ['fit-t1', 'stopped'],
    ['fit-t2', 'stopped'],
    ['fit-t3', 'completed'],
    ['best', 'completed'],
  ]);
  for (const id of ['fit-t1', 'fit-t2'])
    expect(result.nodes.find((n) => n.id === id)?.error).toMatchObject({
      type: FAILURE_TYPES.StoppedEarly,
      message: expect.stringMatching(/^stopped early at epoch 3: acc /),
    });
});

test('the step-cache fixture: a and b hit the entries the warm-up job stored (no step runs for them), c misses, runs and is stored', () => {
  const runs = runsOf('recover-ckpt.step-cache');
  expect(runs).toHaveLength(1);
  expect(patchIds(runs[0]!)).toContain('step-cache');
  const calls = stepCalls(runs[0]!);
  expect(calls.map((c) => [c.activityType, c.input.nodeId, c.outcome, c.hit])).toEqual([
    ['cacheLookup', 'a', 'completed', true],
    ['cacheLookup', 'b', 'completed', true],
    ['cacheLookup', 'c', 'completed', false],
    ['command', 'c', 'completed', undefined],
    ['cacheStore', 'c', 'completed', undefined],
  ]);
  for (const id of ['a', 'b'])
    expect(calls.find((c) => c.input.nodeId === id)?.output?.cache).toMatchObject({
      hit: true,
      from: { jobId: 'fixture-step-cache-warm', nodeId: id },
    });
  expect(calls.at(-1)?.output?.cache).toMatchObject({ hit: false, key: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(statusesOf(runs)).toEqual([
    ['a', 'cached'],
    ['b', 'cached'],
    ['c', 'completed'],
  ]);
});
