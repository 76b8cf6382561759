// Replays the committed job-workflow histories (test/fixtures/histories, recorded by
// test/fixtures/record-histories.ts) against today's workflow code: any non-determinism fails here.
import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { historyFromFixtureJSON } from '../fixtures/history-json';
import { workflowBundle } from '../helpers/temporal';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

function load(file: string) {
  return { workflowId: path.basename(file, '.json'), history: historyFromFixtureJSON(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'))) };
}

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed
  }
});

test('the fixtures cover chain, diamond, failure + recovery, pause/resume, pause now, cancel and continue-as-new', () => {
  const names = new Set(files.map((f) => f.replace(/\.run-\d+\.json$|\.json$/, '')));
  expect([...names].sort()).toEqual(['cancel', 'chain', 'continue-as-new', 'diamond', 'failure-recovery', 'pause-now', 'pause-resume']);
  expect(files.filter((f) => f.startsWith('continue-as-new.run-')).length).toBeGreaterThanOrEqual(2);
});

test.each(files)('when %s is replayed against the current workflow, then it replays without errors', async (file) => {
  const result = await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, load(file).history, load(file).workflowId);
  expect(result).toBeUndefined();
});

test('when all histories are replayed in one batch, then none reports an error', async () => {
  const errors: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, files.map(load))) {
    if (r.error) errors.push(`${r.workflowId}: ${r.error.message}`);
  }
  expect(errors).toEqual([]);
});

test('when a history is replayed against an altered workflow, then a DeterminismViolationError is raised', async () => {
  const altered = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/altered-workflow'), logger: new DefaultLogger('WARN') });
  const { history, workflowId } = load('diamond.json');
  await expect(Worker.runReplayHistory({ workflowBundle: altered }, history, workflowId)).rejects.toThrow(DeterminismViolationError);
});
