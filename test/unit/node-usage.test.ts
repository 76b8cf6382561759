// Per-node usage (issue 11, bug 5): the workflow state sums what every execution used and keeps it
// across recoveries and continue-as-new; a status read extends it to now and recounts refined statuses.
import { JobSpec } from '../../src/domain/job-spec';
import type { StepOutput } from '../../src/domain/step-io';
import { liveUsage, recount } from '../../src/domain/usage';
import { CarriedNodes, JobState } from '../../workflows/job-state';

const withUsage = (runningMs: number, gpuWaitMs: number, gpuSeconds: number): StepOutput => ({
  summary: {},
  artifacts: [],
  meta: { attempt: 1, startedAt: 'x', finishedAt: 'y', usage: { runningMs, gpuWaitMs, gpuSeconds } },
});

function oneNode(): JobState {
  const s = new JobState(
    JobSpec.parse({ name: 'j', nodes: [{ id: 'a', type: 'command', config: { command: ['true'] } }] }),
    () => 'q',
  );
  s.rebuildReady();
  return s;
}

describe('node usage', () => {
  test('when a node is paused, fails and is recovered, then usage sums every segment and wall time runs from the first start', () => {
    const s = oneNode();
    s.markStarted(0, 1000);
    s.addUsage(0, { runningMs: 300, gpuWaitMs: 200, gpuSeconds: 0.3 });
    s.markPaused(0, undefined, 1500);
    s.requeuePaused();
    s.markStarted(s.takeReady()!, 2000);
    s.markFailed(0, { message: 'boom' }, 1, 2600);
    s.addUsage(0, { runningMs: 500, gpuWaitMs: 0, gpuSeconds: 0.5 });
    s.reset([0], { keepCheckpoints: true });
    s.markStarted(s.takeReady()!, 3000);
    s.markCompleted(0, withUsage(400, 100, 0.4), 3500);
    const n = s.toProgress({} as never).nodes[0]!;
    expect(n.firstStartedAt).toBe(new Date(1000).toISOString());
    expect(n.usage).toEqual({ wallMs: 2500, runningMs: 1200, gpuWaitMs: 300, gpuSeconds: expect.closeTo(1.2, 5) });
    expect(n.durationMs).toBe(500);
  });

  test('when state is carried over continue-as-new, then usage and the first start survive', () => {
    const s = oneNode();
    s.markStarted(0, 1000);
    s.markCompleted(0, withUsage(400, 100, 0.4), 3500);
    const carried = CarriedNodes.parse(JSON.parse(JSON.stringify(s.carry(0, 1e6))));
    const t = oneNode();
    t.restore(carried, 0);
    expect(t.toProgress({} as never).nodes[0]!.usage).toEqual({
      wallMs: 2500,
      runningMs: 400,
      gpuWaitMs: 100,
      gpuSeconds: 0.4,
    });
  });

  test('when a status read sees an attempt in flight, then usage adds its heartbeat figures and runs the wall clock to now', () => {
    const n = {
      firstStartedAt: new Date(1000).toISOString(),
      usage: { wallMs: 0, runningMs: 10, gpuWaitMs: 5, gpuSeconds: 0 },
    };
    expect(liveUsage(n, { runningMs: 100, gpuWaitMs: 50, gpuSeconds: 0.1 }, 5000).usage).toEqual({
      wallMs: 4000,
      runningMs: 110,
      gpuWaitMs: 55,
      gpuSeconds: 0.1,
    });
    expect(liveUsage({}, undefined, 5000)).toEqual({});
  });

  test('when a status read refines node statuses, then the counts move with them', () => {
    const counts = recount(
      { running: 3, completed: 1 },
      [{ status: 'running' }, { status: 'running' }, { status: 'running' }, { status: 'completed' }],
      [{ status: 'running' }, { status: 'waiting_for_gpu' }, { status: 'queued' }, { status: 'completed' }],
    );
    expect(counts).toEqual({ running: 1, waiting_for_gpu: 1, queued: 1, completed: 1 });
  });
});
