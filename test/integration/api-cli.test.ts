// The `trainyard` CLI as a subprocess against the real API: submit --watch exits with the job's
// outcome, list/status/artifacts/validate/cancel work, errors are clear.
import fs from 'node:fs';
import path from 'node:path';
import { startApiStack, type ApiStack } from '../helpers/api-stack';
import { runCli, spawnCli } from '../helpers/cli';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

const cli = (args: string[], env: Record<string, string> = {}) => runCli(s.api.url, args, env);

describe('trainyard CLI', () => {
  let jobId: string;

  test('when `submit examples/pipeline.yaml --watch` runs without a TTY, then it prints plain progress lines and exits 0', async () => {
    const r = await cli(['submit', 'examples/pipeline.yaml', '--watch']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const m = /submitted job (\S+)/.exec(r.out);
    expect(m).not.toBeNull();
    jobId = m![1]!;
    expect(r.out).toContain(`job ${jobId} started`);
    for (const n of ['data', 'split', 'preprocess', 'train', 'export', 'evaluate', 'visualize'])
      expect(r.out).toMatch(new RegExp(`^  ${n}\\s+completed`, 'm'));
    expect(r.out).toMatch(/epoch \d+\/100 loss/);
    expect(r.out).toMatch(/evaluate\s+metrics \{/);
    expect(r.out).toContain(`job ${jobId} COMPLETED`);
    // eslint-disable-next-line no-control-regex -- looking for the ESC of terminal control sequences is the point
    expect(r.out).not.toMatch(/\x1b\[/); // no cursor movement without a TTY
  }, 180_000);

  test('when `list --status completed` runs, then the job is in the table', async () => {
    const r = await waitFor(
      async () => {
        const x = await cli(['list', '--status', 'completed']);
        return x.out.includes(jobId) ? x : undefined;
      },
      { timeoutMs: 30_000, what: 'job in list' },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('breast-cancer-mlp');
  }, 60_000);

  test('when status, artifacts and validate run, then they print the job, its files and the plan', async () => {
    const st = await cli(['status', jobId]);
    expect(st.code).toBe(0);
    expect(st.out).toMatch(/status completed/);
    const arts = await cli(['artifacts', jobId]);
    expect(arts.code).toBe(0);
    expect(arts.out).toMatch(/\.onnx/);
    const v = await cli(['validate', 'examples/pipeline.yaml']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/stage 0: data/);
    expect(v.out).toContain(`${s.prefix}-gpu-train-default`);
    // the built-in trainer's metrics history, as a table (epoch, loss, its validation metric)
    const m = await cli(['metrics', jobId, '--node', 'train']);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/epoch.*loss.*valMetric/);
    expect(m.out).toMatch(/│ 0\s+│ 100\s+│ 0\.\d+/); // attempt 0 (from loss-history.json), epoch 100, its loss
    // --set edits the job file before it is sent: params on a command node pass, on a dataset node they are refused
    const ok = await cli(['validate', 'examples/command-pipeline.yaml', '--set', 'train.params.learningRate=0.05']);
    expect(ok.code).toBe(0);
    const bad = await cli(['validate', 'examples/command-pipeline.yaml', '--set', 'data.params.x=1']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/nodes\[0\]\.params: only command and step-template nodes take params/);
  }, 60_000);

  test('when a spec is invalid, the key is wrong or the API is down, then the errors are clear', async () => {
    const bad = path.join(s.t.tmpDir, 'bad.yaml');
    fs.writeFileSync(bad, 'name: bad\nnodes:\n  - id: a\n    type: split\n    dependsOn: [ghost]\n');
    const v = await cli(['validate', bad]);
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/nodes\[0\]\.dependsOn\[0\]: /);
    const k = await cli(['list'], { TRAINYARD_API_KEY: 'wrong-key-123' });
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/invalid API key \(HTTP 401, unauthorized\)/);
    const down = await cli(['list'], { TRAINYARD_URL: 'http://127.0.0.1:59999' });
    expect(down.code).toBe(1);
    expect(down.err).toContain('is `npm start` running?');
    const missing = await cli(['status', 'job-nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/not found \(HTTP 404, job_not_found\)/);
  }, 60_000);

  test('when a watched job is cancelled, then watch exits 2', async () => {
    const spec = path.join(s.t.tmpDir, 'slow.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        name: 'slow',
        nodes: [
          { id: 'data', type: 'dataset', config: { name: 'iris' } },
          { id: 'split', type: 'split', dependsOn: ['data'] },
          { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
          { id: 'train', type: 'train', dependsOn: ['prep'], config: { epochs: 2000, epochDelayMs: 50 } },
        ],
      }),
    );
    const sub = await cli(['submit', spec]);
    const id = /submitted job (\S+)/.exec(sub.out)![1]!;
    const watching = spawnCli(s.api.url, ['watch', id]);
    // The watch's first line comes from the first message the server sends once it has subscribed
    // it: `job_started` (caught up) or a `snapshot`.
    await watching.printed(new RegExp(`^job ${id} (started|\\w+ \\()`, 'm'));
    const c = await cli(['cancel', id]);
    expect(c.code).toBe(0);
    const w = await watching.done;
    expect(w.code).toBe(2);
    expect(w.out).toContain(`job ${id} CANCELLED`);
  }, 90_000);
});
