// Sweep tolerance in the job state: a fan-in over a sweep's trials runs when enough of them ended
// completed or stopped (minSuccessRatio), is skipped when too few did; a per-trial copy of a failed
// trial is skipped; the job counts as completed when every loss is within its sweep's ratio.
import { JobSpec } from '../../src/domain/job-spec';
import { expandSweeps } from '../../src/domain/sweeps';
import { validateJob } from '../../src/domain/validate';
import { JobState } from '../../workflows/job-state';

const out = { summary: {}, artifacts: [] };
const c = (id: string, dependsOn: string[] = [], extra: Record<string, unknown> = {}) => ({
  id,
  type: 'command',
  dependsOn,
  config: { command: ['true'] },
  ...extra,
});

function stateOf(ratio: number, tolerant = true): JobState {
  const x = expandSweeps({
    name: 't',
    nodes: [
      c('root'),
      { ...c('fit', ['root']), matrix: { lr: [1, 2, 3, 4] }, minSuccessRatio: ratio },
      { ...c('eval', ['fit']), perTrial: true },
      c('pick', ['eval']),
    ],
  });
  const v = validateJob(x.body);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const s = new JobState(JobSpec.parse(v.spec), () => 'q', { sweepTolerance: tolerant });
  s.rebuildReady();
  return s;
}

/** Runs the job: trials whose index is in `fail` fail, `stop` are stopped; returns pick's status. */
function run(s: JobState, fail: number[], stop: number[] = []): string {
  for (let i = s.takeReady(); i !== undefined; i = s.takeReady()) {
    const n = s.node(i);
    s.markStarted(i, 0);
    const t = n.spec.trial?.index;
    if (n.spec.id.startsWith('fit-') && t !== undefined && fail.includes(t)) {
      s.markFailed(i, { message: 'x' }, 1, 1);
      s.skipDescendants(i);
    } else if (n.spec.id.startsWith('fit-') && t !== undefined && stop.includes(t)) {
      s.markStopped(i, { message: 'stopped' }, undefined, 1);
      s.skipDescendants(i);
    } else s.markCompleted(i, out, 1);
  }
  return s.node(s.byId.get('pick')!).status;
}

test('when 1 of 4 trials fails and minSuccessRatio is 0.75, then the fan-in runs, the failed trial’s copy is skipped and the job completes', () => {
  const s = stateOf(0.75);
  expect(run(s, [2])).toBe('completed');
  expect(s.node(s.byId.get('eval-t2')!).status).toBe('skipped');
  expect(s.allCompleted()).toBe(true);
});

test('when 2 of 4 fail under minSuccessRatio 0.75, then the fan-in is skipped and the job is not complete', () => {
  const s = stateOf(0.75);
  expect(run(s, [0, 3])).toBe('skipped');
  expect(s.allCompleted()).toBe(false);
});

test('when trials are stopped early, then they count as successes (ratio 1)', () => {
  const s = stateOf(1);
  expect(run(s, [], [1, 2])).toBe('completed');
  expect(s.allCompleted()).toBe(true);
});

test('without sweep tolerance (runs recorded before it), then any failed trial skips the fan-in as before', () => {
  const s = stateOf(0.5, false);
  expect(run(s, [1])).toBe('skipped');
});
