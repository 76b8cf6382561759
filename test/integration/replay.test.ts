// Replays the committed job-workflow histories (test/fixtures/histories, recorded by
// test/fixtures/record-histories.ts) against today's workflow code: any non-determinism fails here.
import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { historyFromFixtureJSON } from '../fixtures/history-json';
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

const SCENARIOS = ['cancel', 'chain', 'continue-as-new', 'diamond', 'failure-recovery', 'pause-now', 'pause-resume'];
/** `[<generation>.]<scenario>[.run-N].json`: a generation is the set recorded after one patched() change. */
function parseFixture(file: string): { generation: string; scenario: string } {
  const stem = file.replace(/\.run-\d+\.json$|\.json$/, '');
  const dot = stem.indexOf('.');
  return dot < 0
    ? { generation: '', scenario: stem }
    : { generation: stem.slice(0, dot), scenario: stem.slice(dot + 1) };
}

test('every generation of fixtures covers chain, diamond, failure + recovery, pause/resume, pause now, cancel and continue-as-new; the first also the upgrade moves', () => {
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
