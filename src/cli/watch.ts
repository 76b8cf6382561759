// `trainyard watch`: follows a job over Server-Sent Events and shows per-node progress — bars
// redrawn in place on a TTY, plain lines otherwise (CI logs). Resolves with the job's outcome.
import type { LiveProgress, StreamMessage } from '../http/contracts';
import { StreamEndedError } from '../sdk/api-client';
import { firstLine } from '../domain/failure-view';
import { failureLines } from './failure';
import { CliError, api, type CliEnv } from './http';

interface NodeLine {
  id: string;
  type: string;
  status: string;
  percent?: number;
  detail?: string;
  note?: string;
}

export type Outcome = 'completed' | 'failed' | 'cancelled';
const OUTCOMES = { job_completed: 'completed', job_failed: 'failed', job_cancelled: 'cancelled' } as const;

const BAR = 24;

function bar(percent: number | undefined, status: string): string {
  const p = status === 'completed' ? 100 : Math.max(0, Math.min(100, percent ?? 0));
  const filled = Math.round((p / 100) * BAR);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${String(Math.round(p)).padStart(3)}%`;
}

function liveDetail(d: LiveProgress | undefined): string | undefined {
  if (!d) return undefined;
  const parts: string[] = [];
  if (d.epoch !== undefined) parts.push(`epoch ${d.epoch}${d.epochs !== undefined ? `/${d.epochs}` : ''}`);
  if (d.loss !== undefined) parts.push(`loss ${d.loss.toFixed(4)}`);
  if (d.valMetric !== undefined) parts.push(`val ${d.valMetric.toFixed(4)}`);
  if (d.message !== undefined && !parts.length) parts.push(d.message.slice(0, 60));
  return parts.join(' ') || undefined;
}

export class WatchView {
  private readonly nodes = new Map<string, NodeLine>();
  private drawn = 0;
  private jobStatus = 'queued';

  constructor(
    private readonly out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean },
    private readonly tty = Boolean((out as { isTTY?: boolean }).isTTY),
  ) {}

  private line(s: string): void {
    if (!this.tty) this.out.write(`${s}\n`);
  }

  private node(id: string, type = ''): NodeLine {
    let n = this.nodes.get(id);
    if (!n) {
      n = { id, type, status: 'pending' };
      this.nodes.set(id, n);
    }
    if (type && !n.type) n.type = type;
    return n;
  }

  handle(m: StreamMessage): Outcome | undefined {
    switch (m.type) {
      case 'snapshot': {
        this.jobStatus = m.status;
        for (const n of m.data.nodes) {
          const line = this.node(n.id, n.type);
          line.status = n.status;
          line.percent = n.live?.percent;
          line.detail = liveDetail(n.live);
        }
        this.line(`job ${m.job_id} ${m.status} (${Math.round(m.progress)}%)`);
        break;
      }
      case 'job_started':
        this.jobStatus = 'running';
        for (const n of m.data.nodes) this.node(n.id, n.type);
        this.line(`job ${m.job_id} started`);
        break;
      case 'node_status': {
        const d = m.data;
        const n = this.node(m.node_id, d.type);
        n.status = m.status;
        const attempt = d.attempt ?? d.attempts;
        if (n.status === 'retrying')
          n.note = `retry, attempt ${attempt ?? '?'}${d.lastFailure !== undefined ? `: ${d.lastFailure.split('\n')[0]!.slice(0, 80)}` : ''}`;
        else if (n.status === 'failed') n.note = `FAILED${d.error ? `: ${firstLine(d.error.message)}` : ''}`;
        else if (n.status === 'waiting_for_gpu') n.note = 'waiting for a GPU';
        else if (n.status === 'completed')
          n.note = d.durationMs !== undefined ? `${(d.durationMs / 1000).toFixed(1)}s` : undefined;
        else n.note = undefined;
        if (!d.inferred || !this.tty) this.line(`  ${n.id.padEnd(14)} ${n.status}${n.note ? `  (${n.note})` : ''}`);
        break;
      }
      case 'node_progress': {
        const n = this.node(m.node_id);
        if (m.progress !== undefined) n.percent = m.progress;
        n.detail = liveDetail(m.data);
        if (n.detail || m.progress !== undefined)
          this.line(
            `  ${n.id.padEnd(14)} ${m.progress !== undefined ? `${Math.round(m.progress)}% ` : ''}${n.detail ?? ''}`,
          );
        break;
      }
      case 'metrics':
        this.line(`  ${m.node_id.padEnd(14)} metrics ${JSON.stringify(m.data)}`);
        this.node(m.node_id).detail = Object.entries(m.data)
          .flatMap(([k, v]) => (typeof v === 'number' ? [`${k} ${v.toFixed(3)}`] : []))
          .slice(0, 3)
          .join(' ');
        break;
      case 'job_completed':
      case 'job_failed':
      case 'job_cancelled': {
        const outcome = OUTCOMES[m.type];
        this.jobStatus = outcome;
        this.render();
        if (this.tty) this.out.write('\n');
        this.out.write(
          `job ${m.job_id} ${outcome.toUpperCase()}${outcome === 'failed' && m.data.recoverable ? ' (recoverable: trainyard recover ' + m.job_id + ')' : ''}\n`,
        );
        // Which node failed, why, and what its script printed last.
        if (m.type === 'job_failed' && m.data.failure)
          for (const l of failureLines(m.data.failure)) this.out.write(`${l}\n`);
        return outcome;
      }
      case 'error':
        throw new CliError(`stream error: ${m.data.message}`);
    }
    this.render();
    return undefined;
  }

  /** Redraws the node block in place (TTY only). */
  render(): void {
    if (!this.tty) return;
    const lines = [...this.nodes.values()].map((n) => {
      const status = n.status.padEnd(9);
      return `  ${n.id.slice(0, 16).padEnd(16)} ${n.type.padEnd(10)} ${bar(n.percent, n.status)} ${status} ${[n.detail, n.note].filter(Boolean).join('  ')}`.slice(
        0,
        160,
      );
    });
    lines.unshift(`job status: ${this.jobStatus}`);
    let s = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const l of lines) s += `\x1b[2K${l}\n`;
    this.out.write(s);
    this.drawn = lines.length;
  }
}

/** Follows /v1/jobs/:id/events until the terminal message; returns the outcome. */
export async function watchJob(env: CliEnv, id: string, out: NodeJS.WriteStream = process.stdout): Promise<Outcome> {
  const view = new WatchView(out);
  return api(env, async (client) => {
    for await (const m of client.watch(id)) {
      const outcome = view.handle(m);
      if (outcome) return outcome;
    }
    throw new StreamEndedError(id);
  }).catch((err: unknown) => {
    throw err instanceof StreamEndedError ? new CliError(err.message) : err;
  });
}

export function exitCodeFor(outcome: Outcome): number {
  return outcome === 'completed' ? 0 : outcome === 'failed' ? 1 : 2;
}
