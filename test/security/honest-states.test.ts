// Attack: a job ended from outside (terminate, workflow timeout) kept showing `running` with a
// running node, and its SSE / WebSocket streams and `logs?follow` never ended (issue 10). Now the
// API can terminate a job that does not stop, the job's view says `terminated`, nothing of it shows
// running, the list filters by the new status, and every stream ends.
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { jobStatusFromWorkflow } from '../../src/job-service/lookup';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

const A = KEYS.alice;

/** A command node that prints a line every 100 ms and never ends (and ignores SIGTERM). */
const forever = {
  name: 'forever',
  nodes: [
    {
      id: 'spin',
      type: 'command',
      config: {
        command: ['node', '-e', "process.on('SIGTERM', () => {}); setInterval(() => console.log('tick'), 100)"],
      },
      timeout: { heartbeat: '5s' },
    },
  ],
};

function sseText(jobId: string): Promise<string> {
  return fetch(`${s.api.url}/v1/jobs/${jobId}/events`, { headers: { 'x-api-key': A } }).then((r) => r.text());
}

function wsClosed(jobId: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.api.url.replace('http', 'ws')}/v1/jobs/${jobId}/stream`, {
      headers: { 'x-api-key': A },
    });
    const got: string[] = [];
    ws.on('message', (d) => got.push(String(d)));
    ws.on('close', () => resolve(got));
    ws.on('error', reject);
  });
}

describe('a job terminated from outside', () => {
  it('when a running job is terminated through the API, then its view says terminated, no node shows running, the list filters it, and SSE, WebSocket and logs?follow all end', async () => {
    const created = await apiCall(s, 'POST', '/v1/jobs', A, forever);
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await waitFor(async () => {
      const v = await apiCall(s, 'GET', `/v1/jobs/${id}`, A);
      return v.body.nodes?.[0]?.status === 'running';
    });
    await waitFor(async () => (await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=spin`, A)).text.includes('tick'));

    // Streams opened while it runs.
    const sse = sseText(id);
    const ws = wsClosed(id);
    const follow = fetch(`${s.api.url}/v1/jobs/${id}/logs?node=spin&follow=1`, { headers: { 'x-api-key': A } }).then(
      (r) => r.text(),
    );

    const term = await apiCall(s, 'POST', `/v1/jobs/${id}/terminate`, A, { reason: 'stuck' });
    expect(term.status).toBe(200);
    expect(term.body.status).toBe('terminated');

    const view = await apiCall(s, 'GET', `/v1/jobs/${id}`, A);
    expect(view.body.status).toBe('terminated');
    expect(view.body.workflow.status).toBe('TERMINATED');
    expect(view.body.currentNodes).toEqual([]);
    for (const n of view.body.nodes) expect(['running', 'queued', 'retrying', 'pending']).not.toContain(n.status);

    // Every stream ends (jest's timeout fails the test if one does not).
    const events = await sse;
    expect(events).toMatch(/"status":"terminated"/);
    const wsMsgs = await ws;
    expect(wsMsgs.some((m) => m.includes('"status":"terminated"'))).toBe(true);
    expect(await follow).toContain('tick');

    const listed = await waitFor(async () => {
      const r = await apiCall(s, 'GET', '/v1/jobs?status=terminated', A);
      return r.body.jobs.find((j: { id: string }) => j.id === id);
    });
    expect(listed.status).toBe('terminated');
    const running = await apiCall(s, 'GET', '/v1/jobs?status=running', A);
    expect(running.body.jobs.map((j: { id: string }) => j.id)).not.toContain(id);

    // A second terminate, a cancel: 409 (the job has ended), not a 500.
    expect((await apiCall(s, 'POST', `/v1/jobs/${id}/terminate`, A, {})).status).toBe(409);
    expect((await apiCall(s, 'POST', `/v1/jobs/${id}/cancel`, A, {})).status).toBe(409);
  });

  it('when another owner terminates a job, then 404 (it is not theirs)', async () => {
    const created = await apiCall(s, 'POST', '/v1/jobs', A, { ...forever, name: 'not-bobs' });
    const r = await apiCall(s, 'POST', `/v1/jobs/${created.body.id}/terminate`, KEYS.bob, {});
    expect(r.status).toBe(404);
    expect((await apiCall(s, 'POST', `/v1/jobs/${created.body.id}/terminate`, A, {})).status).toBe(200);
  });
});

describe('a log replaced by a symlink', () => {
  it("when a node folder's output.log is a symlink out of the artifact root, then logs answers 400 invalid_path (not a 500) without the file", async () => {
    const created = await apiCall(s, 'POST', '/v1/jobs', A, { ...forever, name: 'symlinked-log' });
    const id: string = created.body.id;
    const log = await waitFor(() => {
      const p = path.join(s.config.artifactRoot, 'alice', 'runs', id, 'spin', 'logs', 'output.log');
      return fs.existsSync(p) && p;
    });
    const secret = path.join(s.t.tmpDir, 'outside-secret.txt');
    fs.writeFileSync(secret, 'TOP-SECRET-CONTENT\n');
    fs.rmSync(log);
    fs.symlinkSync(secret, log);
    for (const q of ['', '&tail=5', '&follow=1']) {
      const r = await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=spin${q}`, A);
      // The store refuses links (helper storage's confinement): no such log, or an invalid path.
      if (q === '&follow=1' && r.status === 200) expect(r.text).toBe('');
      else expect([400, 404]).toContain(r.status);
      expect(r.text).not.toContain('TOP-SECRET');
    }
    expect((await apiCall(s, 'POST', `/v1/jobs/${id}/terminate`, A, {})).status).toBe(200);
  });
});

describe('Temporal ends map to their own job statuses', () => {
  it.each([
    ['TERMINATED', 'terminated'],
    ['TIMED_OUT', 'timed_out'],
    ['FAILED', 'failed'],
    ['CANCELED', 'cancelled'],
  ])('when the workflow is %s, then the job is %s', (wf, job) => {
    expect(jobStatusFromWorkflow(wf)).toBe(job);
  });
});
