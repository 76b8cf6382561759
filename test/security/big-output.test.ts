// Attack: output too large for Temporal (issue 10, "Freeze the whole process" / big lines). A 3 MB
// stdout line failed the step with PayloadsTooLarge after running it twice; 25 × 200 KB stderr
// lines made the failure too large for gRPC, so each attempt hung until the heartbeat timeout and
// the reason was lost; a huge TRAINYARD_RESULT did the same. Now lines are cut, tails bounded, the
// result capped with a clear non-retryable failure, and every output and failure a step sends is
// checked against the payload limits first.
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { defineStep } from '../../activities/define-step';
import { LineSplitter, OUTPUT_CAPS } from '../../activities/output-caps';
import { CommandConfig } from '../../src/domain/node-types';
import { FAILURE_TYPES } from '../../src/domain/failure-types';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

const A = KEYS.alice;

describe('big output from a command step (real stack)', () => {
  let s: ApiStack;
  beforeAll(async () => {
    s = await startApiStack();
  }, 180_000);
  afterAll(async () => s?.stop());

  const node = (id: string, script: string, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'command',
    config: { command: ['node', '-e', script] },
    retry: { maxAttempts: 2, initialInterval: '100ms' },
    ...extra,
  });

  async function finished(spec: unknown) {
    const created = await apiCall(s, 'POST', '/v1/jobs', A, spec);
    expect(created.status).toBe(201);
    return waitFor(
      async () => {
        const v = await apiCall(s, 'GET', `/v1/jobs/${created.body.id}`, A);
        return ['completed', 'failed'].includes(v.body.status) && v.body.recoverable === false ? v.body : undefined;
      },
      { timeoutMs: 110_000 },
    );
  }

  it('when a step prints one 3 MB stdout line, then it completes on its first attempt with a bounded tail, and the log keeps the line cut with a marker', async () => {
    const view = await finished({
      name: 'big-line',
      recoveryWindow: 0,
      nodes: [node('big', "process.stdout.write('x'.repeat(3e6) + '\\nafter\\n')")],
    });
    expect(view.status).toBe('completed');
    const n = view.nodes[0];
    expect(n.attempts).toBe(1);
    const log = await apiCall(s, 'GET', `/v1/jobs/${view.id}/logs?node=big&tail=3`, A);
    expect(log.text).toMatch(/line cut at 1048576 bytes: 1951424 more bytes dropped/);
    expect(log.text).toContain('\nafter\n');
    // The summary's tail holds a clipped line, not 3 MB.
    expect(Buffer.byteLength(JSON.stringify(n))).toBeLessThan(64 * 1024);
  });

  it('when a failing step prints 25 × 200 KB stderr lines, then it fails with its exit code and a bounded stderr tail (no heartbeat-timeout hang)', async () => {
    const view = await finished({
      name: 'big-stderr',
      recoveryWindow: 0,
      nodes: [
        node(
          'noisy',
          "for (let i = 0; i < 25; i++) process.stderr.write(String(i).padEnd(200000, 'e') + '\\n'); process.exit(3)",
          { retry: { maxAttempts: 1 }, timeout: { heartbeat: '60s' } },
        ),
      ],
    });
    expect(view.status).toBe('failed');
    const n = view.nodes[0];
    expect(n.error.type).toBe(FAILURE_TYPES.CommandFailed);
    expect(n.error.message).toMatch(/exited with code 3/);
    expect(Buffer.byteLength(n.error.message)).toBeLessThan(32 * 1024);
  });

  it('when a step prints a 3 MB TRAINYARD_RESULT, then it fails at once, not retried, naming the cap', async () => {
    const view = await finished({
      name: 'big-result',
      recoveryWindow: 0,
      nodes: [node('res', "console.log('TRAINYARD_RESULT ' + JSON.stringify({ blob: 'r'.repeat(3e6) }))")],
    });
    expect(view.status).toBe('failed');
    const n = view.nodes[0];
    expect(n.error.type).toBe(FAILURE_TYPES.OutputTooLarge);
    expect(n.error.message).toMatch(new RegExp(`over its ${OUTPUT_CAPS.resultBytes}-byte cap`));
    expect(n.attempts).toBe(1);
  });
});

describe('what any step sends is checked against the payload limits', () => {
  const input = (nodeId: string) => ({
    jobId: 'j',
    nodeId,
    nodeType: 'command' as const,
    config: { command: ['true'] },
    upstream: {},
    outputDir: 'runs/j',
    resources: { gpus: 0, gpuMemoryGb: 0 },
    priority: 3,
  });

  it('when a step returns an output over the 2 MiB payload limit, then it fails non-retryably naming the limit', async () => {
    const step = defineStep(CommandConfig, async () => ({ summary: { blob: 'o'.repeat(3_000_000) }, artifacts: [] }));
    const err = await new MockActivityEnvironment().run(step, input('out')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    expect(f.type).toBe(FAILURE_TYPES.PayloadTooLarge);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/payload limit/);
  });

  it('when a step throws a 5 MB message with 5 MB of details, then the failure it sends is clipped to fit', async () => {
    const step = defineStep(CommandConfig, async () => {
      throw ApplicationFailure.create({ message: 'm'.repeat(5e6), details: [{ x: 'd'.repeat(5e6) }] });
    });
    const err = (await new MockActivityEnvironment()
      .run(step, input('fail'))
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(Buffer.byteLength(err.message)).toBeLessThan(20 * 1024);
    expect(JSON.stringify(err.details).length).toBeLessThan(300 * 1024);
    expect(JSON.stringify(err.details)).toMatch(/detailsDropped/);
  });

  it('when a line has no newline for 10 MB, then the splitter holds at most its cap', () => {
    const got: [number, number][] = [];
    const split = new LineSplitter(1000, (line, dropped) => got.push([line.length, dropped]));
    for (let i = 0; i < 10; i++) split.push(Buffer.alloc(1_000_000, 0x61));
    split.push(Buffer.from('\nok\n'));
    split.end();
    expect(got).toEqual([
      [1000, 9_999_000],
      [2, 0],
    ]);
  });
});
