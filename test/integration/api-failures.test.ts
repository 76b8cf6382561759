// Issue 11, bugs 2, 3 and 6 against the real API and the `trainyard` CLI as a subprocess: a job's
// failure is shown everywhere (the view, the stream's job_failed, `status`, `watch`) with the failed
// nodes, the first line of each cause and a command's last stderr lines; no stack trace or server
// folder reaches a client; every step's log says why it failed (built-in steps too).
import fs from 'node:fs';
import path from 'node:path';
import type { JobView, StreamMessage } from '../../src/http/contracts';
import { KEYS, startApiStack, type ApiStack } from '../helpers/api-stack';
import { runCli } from '../helpers/cli';
import { waitFor } from '../helpers/temporal';

const ROOT = path.resolve(__dirname, '..', '..');
const LONG_MODULE = 'numpy_with_a_module_name_long_enough_to_push_this_line_well_past_eighty_characters';
// A Python-style crash: a traceback on stderr, the telling line last.
const CRASH = [
  "console.log('epoch 1');",
  "console.error('Traceback (most recent call last):');",
  'console.error(\'  File "train.py", line 1, in <module>\');',
  `console.error("ModuleNotFoundError: No module named '${LONG_MODULE}'");`,
  'process.exit(1);',
].join('');

let s: ApiStack;
let jobId: string;

beforeAll(async () => {
  s = await startApiStack();
  const res = await fetch(`${s.api.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEYS.alice },
    body: JSON.stringify({
      name: 'day-one-failures',
      recoveryWindow: '1h',
      nodes: [
        { id: 'ok', type: 'command', config: { command: ['node', '-e', 'null'] } },
        // A built-in step failure: a data file that is not there.
        { id: 'data', type: 'dataset', config: { path: 'alice/missing/nope.csv' } },
        { id: 'crash', type: 'command', dependsOn: ['ok'], config: { command: ['node', '-e', CRASH] } },
        { id: 'end', type: 'command', dependsOn: ['data', 'crash'], config: { command: ['node', '-e', 'null'] } },
      ].map((n) => ({ ...n, retry: { maxAttempts: 1 } })),
    }),
  });
  const created = (await res.json()) as { id: string };
  expect(res.status).toBe(201);
  jobId = created.id;
  await waitFor(async () => (await getJob()).status === 'failed', { timeoutMs: 90_000, what: 'the job to fail' });
}, 180_000);
afterAll(async () => s?.stop());

async function getJob(key = KEYS.alice): Promise<JobView> {
  const res = await fetch(`${s.api.url}/v1/jobs/${jobId}`, { headers: { 'x-api-key': key } });
  expect(res.status).toBe(200);
  return (await res.json()) as JobView;
}

const cli = (args: string[]) => runCli(s.api.url, args);

/** Server folders and stack frames: none may reach a client. */
function expectNoServerDetails(text: string): void {
  expect(text).not.toContain(ROOT);
  expect(text).not.toContain(s.t.tmpDir);
  expect(text).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
  expect(text).not.toContain('"stack"');
}

describe('a failed job as clients see it', () => {
  test('when the job view is read, then it names the failed nodes with the first line of each cause, where, and the stderr tail; no stack or server path', async () => {
    const v = await getJob();
    expect(v.failure).toBeDefined();
    const f = v.failure!;
    expect(f.failedCount).toBe(2);
    expect(f.nodes.map((n) => n.id).sort()).toEqual(['crash', 'data']);
    const crash = f.nodes.find((n) => n.id === 'crash')!;
    expect(crash).toMatchObject({ type: 'command', errorType: 'CommandFailed', where: { node: 'crash', attempt: 1 } });
    expect(crash.message).toBe(`node exited with code 1: ModuleNotFoundError: No module named '${LONG_MODULE}'`);
    expect(crash.stderrTail).toEqual([
      'Traceback (most recent call last):',
      '  File "train.py", line 1, in <module>',
      `ModuleNotFoundError: No module named '${LONG_MODULE}'`,
    ]);
    expect(f.message).toMatch(/^2 nodes failed \(/);
    // The data root is named as such, not by its path on the server.
    const data = v.nodes.find((n) => n.id === 'data')!;
    expect(data.error!.message).toContain('data file not found: alice/missing/nope.csv (under <data>)');
    expect(data.error).toMatchObject({ type: 'TrainyardInvalidData', where: { node: 'data', attempt: 1 } });
    // Errors only: artifact refs carry their store URI by design (see ArtifactRef.uri).
    expectNoServerDetails(JSON.stringify([v.failure, v.nodes.map((n) => [n.error, n.lastFailure])]));
  });

  test('when a client follows the stream of the failed job, then job_failed carries the failure', async () => {
    const res = await fetch(`${s.api.url}/v1/jobs/${jobId}/events`, { headers: { 'x-api-key': KEYS.alice } });
    const text = await res.text();
    const msgs = text
      .split('\n\n')
      .map((e) => e.split('\n').find((l) => l.startsWith('data: ')))
      .filter((l): l is string => !!l)
      .map((l) => JSON.parse(l.slice(6)) as StreamMessage);
    const end = msgs.find((m) => m.type === 'job_failed');
    expect(end?.type === 'job_failed' && end.data.failure?.nodes.map((n) => n.id).sort()).toEqual(['crash', 'data']);
    expectNoServerDetails(JSON.stringify(msgs.filter((m) => m.type !== 'snapshot')));
  });

  test('when the logs of the failed built-in steps are asked, then they exist and say why (stack included, for operators)', async () => {
    for (const node of ['data']) {
      const res = await fetch(`${s.api.url}/v1/jobs/${jobId}/logs?node=${node}`, {
        headers: { 'x-api-key': KEYS.alice },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/--- attempt 1 started/);
      expect(text).toMatch(/--- attempt 1 failed: TrainyardInvalidData: node data: data file not found/);
      expect(text).toMatch(/\n\s+at /);
    }
    const r = await cli(['logs', jobId, '--node', 'data']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/failed: TrainyardInvalidData/);
    // A command step's log has the script's stderr and why the attempt ended.
    const crash = await cli(['logs', jobId, '--node', 'crash']);
    expect(crash.out).toContain(`[stderr] ModuleNotFoundError: No module named '${LONG_MODULE}'`);
    expect(crash.out).toMatch(/--- attempt 1 failed: CommandFailed: node exited with code 1/);
  });

  test('when `status` runs, then it prints whole error lines (no 80-character cut) and the failure with the stderr tail', async () => {
    const r = await cli(['status', jobId]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`ModuleNotFoundError: No module named '${LONG_MODULE}'`);
    expect(r.out).toMatch(/^failed: 2 nodes failed/m);
    expect(r.out).toMatch(/^ {2}crash \[command, CommandFailed\] \(attempt 1/m);
    expect(r.out).toContain('    | Traceback (most recent call last):');
    expectNoServerDetails(r.out);
  });

  test('when `watch` follows the failed job, then it names the failed nodes, the cause and the stderr tail', async () => {
    const r = await cli(['watch', jobId]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`job ${jobId} FAILED (recoverable: trainyard recover ${jobId})`);
    expect(r.out).toMatch(/^ {2}crash \[command, CommandFailed\].*: node exited with code 1: ModuleNotFoundError/m);
    expect(r.out).toContain(`    | ModuleNotFoundError: No module named '${LONG_MODULE}'`);
    expect(r.out).toMatch(/^ {2}data \[dataset, TrainyardInvalidData\]/m);
  });
});

describe('the plan in the CLI', () => {
  test('when `validate` runs on a spec with GPU nodes and estimatedDuration, then it prints their pools and the GPU-time estimate', async () => {
    const file = path.join(s.t.tmpDir, 'plan.json');
    const train = (id: string, gpus: number, estimatedDuration: string) => ({
      id,
      type: 'command',
      dependsOn: ['prep'],
      resources: { gpus },
      estimatedDuration,
      config: { command: ['node', '-e', 'null'] },
    });
    fs.writeFileSync(
      file,
      JSON.stringify({
        name: 'plan',
        nodes: [
          { id: 'prep', type: 'command', config: { command: ['node', '-e', 'null'] } },
          train('a', 1, '30m'),
          train('b', 2, '45m'),
        ],
      }),
    );
    const r = await cli(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^│? *a\s.*gpu-train-default\s.*default\s.*1\s.*1800s\s.*0\.50 h/m);
    expect(r.out).toMatch(/b\s.*default\s.*2\s.*2700s\s.*1\.50 h/);
    expect(r.out).toContain('estimated GPU time: 2.00 h (estimatedDuration × GPUs');
  });
});
