// The GPU worker's preemption notice sources (workers/preemption.ts): the notice file and the
// notice endpoint ask every registered step for a checkpoint now, then start the drain, once.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CheckpointRequests, type CheckpointRequest } from '../../activities/checkpoint-requests';
import { PREEMPTION_NOTICE_PATH, watchPreemption, type PreemptionWatch } from '../../workers/preemption';
import { waitFor } from '../helpers/temporal';

let dir: string;
let watch: PreemptionWatch | undefined;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'preemption-'));
});
afterEach(async () => {
  await watch?.close();
  watch = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

function setup(opts: { noticeFile?: string; port?: number }) {
  const requests = new CheckpointRequests();
  const asked: CheckpointRequest[] = [];
  requests.register('job/a#1', async (r) => {
    asked.push(r);
    return {
      name: 'ckpt.json',
      path: 'runs/job/a/ckpt.json',
      uri: 'file:///x',
      sha256: 'ab',
      size: 1,
      mediaType: 'application/json',
    };
  });
  requests.register('job/b#2', async (r) => {
    asked.push(r);
    return undefined;
  });
  const lines: string[] = [];
  let drains = 0;
  return {
    asked,
    lines,
    drains: () => drains,
    start: async () =>
      (watch = await watchPreemption({
        checkpointRequests: requests,
        graceMs: 5000,
        ...opts,
        pollMs: 20,
        log: (l) => lines.push(l),
        drain: () => drains++,
      })),
  };
}

test('when the notice file appears, then every running step is asked for a checkpoint within the grace, and the drain starts once', async () => {
  const file = path.join(dir, 'preempt');
  const s = setup({ noticeFile: file });
  const w = await s.start();
  await new Promise((r) => setTimeout(r, 100));
  expect(w.noticed).toBe(false);
  const before = Date.now();
  await fs.writeFile(file, '');
  await waitFor(() => s.drains() === 1, { what: 'the drain', intervalMs: 10 });
  expect(s.asked).toHaveLength(2);
  expect(s.asked[0]!.reason).toBe('preemption');
  expect(s.asked[0]!.deadlineMs).toBeGreaterThanOrEqual(before + 5000);
  await waitFor(() => s.lines.some((l) => l.includes('job/b#2 reported no checkpoint')), { what: 'the answers' });
  expect(s.lines.join('\n')).toContain('preemption: job/a#1 checkpointed (runs/job/a/ckpt.json)');
  // Later notices change nothing: one request per step, one drain.
  const again = await w.notice('SIGTERM');
  expect(again).toHaveLength(2);
  await new Promise((r) => setTimeout(r, 100));
  expect(s.asked).toHaveLength(2);
  expect(s.drains()).toBe(1);
});

test('when the notice endpoint is POSTed, then it answers 202 with the number of steps asked; other requests are refused', async () => {
  const s = setup({ port: 0 });
  const w = await s.start();
  const base = `http://127.0.0.1:${w.port}`;
  expect((await fetch(`${base}/elsewhere`, { method: 'POST' })).status).toBe(404);
  expect((await fetch(`${base}${PREEMPTION_NOTICE_PATH}`)).status).toBe(405);
  expect(s.drains()).toBe(0);
  const res = await fetch(`${base}${PREEMPTION_NOTICE_PATH}`, { method: 'POST' });
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ accepted: true, steps: 2, graceMs: 5000 });
  expect(s.drains()).toBe(1);
  expect(w.noticed).toBe(true);
  expect(s.lines[0]).toMatch(/^preemption notice endpoint: POST http:\/\/127\.0\.0\.1:\d+\/preemption-notice$/);
});
