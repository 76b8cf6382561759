// The demo pipeline (examples/pipeline.yaml, demoPipeline() in ./specs) through a running stack's API: submit, wait for the
// end, and read each step's duration and its gap after the parent. Used by the ML benchmarks.
import type { StepOutput } from '../../src/domain/step-io';
import { nowMs } from './stats';

export interface DemoNodeView {
  id: string;
  type: string;
  status: string;
  durationMs?: number;
  startedAt?: string;
  completedAt?: string;
  output?: StepOutput;
}
export interface DemoJobView {
  status: string;
  nodes: DemoNodeView[];
}

export interface DemoRun {
  wallMs: number;
  /** Per node: its duration as the workflow saw it (scheduled → completion seen, dispatch included). */
  steps: Record<string, number>;
  /** Per node: time between its parent finishing and it starting (the demo is a chain). */
  gaps: Record<string, number>;
  view: DemoJobView;
}

/** Submits `spec` through the API at `apiUrl` (with `apiKey`) and waits until the job ends; it must complete. */
export async function runDemoJob(apiUrl: string, apiKey: string, spec: Record<string, unknown>): Promise<DemoRun> {
  const api = async <T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(apiUrl + url, {
      method,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const t0 = nowMs();
  const sub = await api<{ id: string }>('POST', '/v1/jobs', spec);
  if (sub.status !== 201) throw new Error(`submit answered ${sub.status}: ${JSON.stringify(sub.body)}`);
  let view: DemoJobView;
  for (;;) {
    view = (await api<DemoJobView>('GET', `/v1/jobs/${sub.body.id}`)).body;
    if (['completed', 'failed', 'cancelled'].includes(view.status)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const wallMs = nowMs() - t0;
  if (view.status !== 'completed')
    throw new Error(
      `demo pipeline ended ${view.status}: ${JSON.stringify(view.nodes.filter((n) => n.status !== 'completed'))}`,
    );
  const steps: Record<string, number> = {};
  const gaps: Record<string, number> = {};
  let prevEnd: number | undefined;
  for (const n of view.nodes) {
    steps[n.id] = n.durationMs ?? NaN;
    if (prevEnd !== undefined && n.startedAt) gaps[n.id] = Date.parse(n.startedAt) - prevEnd;
    if (n.completedAt) prevEnd = Date.parse(n.completedAt);
  }
  return { wallMs, steps, gaps, view };
}
