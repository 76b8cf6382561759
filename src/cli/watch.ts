// `trainyard watch`: follows a job over Server-Sent Events and shows per-node progress — bars
// redrawn in place on a TTY, plain lines otherwise (CI logs). Resolves with the job's outcome.
import { CliError, request, formatApiError, type CliEnv } from './http';

interface StreamMessage {
  type: string;
  job_id: string;
  node_id?: string;
  status?: string;
  progress?: number;
  data?: Record<string, unknown> & { nodes?: { id: string; type: string; status?: string }[] };
  timestamp: string;
}

interface NodeLine {
  id: string;
  type: string;
  status: string;
  percent?: number;
  detail?: string;
  note?: string;
}

export type Outcome = 'completed' | 'failed' | 'cancelled';

const BAR = 24;

function bar(percent: number | undefined, status: string): string {
  const p = status === 'completed' ? 100 : Math.max(0, Math.min(100, percent ?? 0));
  const filled = Math.round((p / 100) * BAR);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${String(Math.round(p)).padStart(3)}%`;
}

function liveDetail(d: Record<string, unknown> | undefined): string | undefined {
  if (!d) return undefined;
  const parts: string[] = [];
  if (typeof d.epoch === 'number') parts.push(`epoch ${d.epoch}${typeof d.epochs === 'number' ? `/${d.epochs}` : ''}`);
  if (typeof d.loss === 'number') parts.push(`loss ${d.loss.toFixed(4)}`);
  if (typeof d.valMetric === 'number') parts.push(`val ${d.valMetric.toFixed(4)}`);
  if (typeof d.message === 'string' && !parts.length) parts.push(d.message.slice(0, 60));
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
    const d = m.data ?? {};
    switch (m.type) {
      case 'snapshot': {
        this.jobStatus = m.status ?? this.jobStatus;
        for (const n of (d.nodes ?? []) as { id: string; type: string; status: string; live?: Record<string, unknown>; attempts?: number }[]) {
          const line = this.node(n.id, n.type);
          line.status = n.status;
          line.percent = typeof n.live?.percent === 'number' ? n.live.percent : undefined;
          line.detail = liveDetail(n.live);
        }
        this.line(`job ${m.job_id} ${m.status} (${Math.round(m.progress ?? 0)}%)`);
        break;
      }
      case 'job_started':
        this.jobStatus = 'running';
        for (const n of d.nodes ?? []) this.node(n.id, n.type);
        this.line(`job ${m.job_id} started`);
        break;
      case 'node_status': {
        const n = this.node(m.node_id ?? '?', typeof d.type === 'string' ? d.type : '');
        n.status = m.status ?? n.status;
        const attempt = typeof d.attempt === 'number' ? d.attempt : typeof d.attempts === 'number' ? d.attempts : undefined;
        if (n.status === 'retrying') n.note = `retry, attempt ${attempt ?? '?'}${typeof d.lastFailure === 'string' ? `: ${d.lastFailure.split('\n')[0]!.slice(0, 80)}` : ''}`;
        else if (n.status === 'failed') n.note = `FAILED${d.error && typeof (d.error as { message?: string }).message === 'string' ? `: ${(d.error as { message: string }).message.split('\n')[0]!.slice(0, 100)}` : ''}`;
        else if (n.status === 'completed') n.note = typeof d.durationMs === 'number' ? `${(d.durationMs / 1000).toFixed(1)}s` : undefined;
        else n.note = undefined;
        if (!d.inferred || !this.tty) this.line(`  ${n.id.padEnd(14)} ${n.status}${n.note ? `  (${n.note})` : ''}`);
        break;
      }
      case 'node_progress': {
        const n = this.node(m.node_id ?? '?');
        if (typeof m.progress === 'number') n.percent = m.progress;
        n.detail = liveDetail(d);
        if (n.detail || typeof m.progress === 'number') this.line(`  ${n.id.padEnd(14)} ${typeof m.progress === 'number' ? `${Math.round(m.progress)}% ` : ''}${n.detail ?? ''}`);
        break;
      }
      case 'metrics':
        this.line(`  ${(m.node_id ?? '').padEnd(14)} metrics ${JSON.stringify(d)}`);
        this.node(m.node_id ?? '?').detail = Object.entries(d)
          .filter(([, v]) => typeof v === 'number')
          .slice(0, 3)
          .map(([k, v]) => `${k} ${(v as number).toFixed(3)}`)
          .join(' ');
        break;
      case 'job_completed':
      case 'job_failed':
      case 'job_cancelled': {
        const outcome = m.type.slice(4) as Outcome;
        this.jobStatus = outcome;
        this.render();
        if (this.tty) this.out.write('\n');
        this.out.write(`job ${m.job_id} ${outcome.toUpperCase()}${outcome === 'failed' && d.recoverable ? ' (recoverable: trainyard recover ' + m.job_id + ')' : ''}\n`);
        return outcome;
      }
      case 'error':
        throw new CliError(`stream error: ${String((d as { message?: string }).message ?? 'unknown')}`);
    }
    this.render();
    return undefined;
  }

  /** Redraws the node block in place (TTY only). */
  render(): void {
    if (!this.tty) return;
    const lines = [...this.nodes.values()].map((n) => {
      const status = n.status.padEnd(9);
      return `  ${n.id.slice(0, 16).padEnd(16)} ${n.type.padEnd(10)} ${bar(n.percent, n.status)} ${status} ${[n.detail, n.note].filter(Boolean).join('  ')}`.slice(0, 160);
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
  const res = await request(env, 'GET', `/v1/jobs/${encodeURIComponent(id)}/events`, undefined, { accept: 'text/event-stream' });
  if (!res.ok || !res.body) {
    const body = await res.json().catch(() => undefined);
    throw new CliError(formatApiError(res.status, body as never));
  }
  const view = new WatchView(out);
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (!data) continue;
      const outcome = view.handle(JSON.parse(data) as StreamMessage);
      if (outcome) return outcome;
    }
  }
  throw new CliError(`the event stream of job ${id} ended before the job finished`);
}

export function exitCodeFor(outcome: Outcome): number {
  return outcome === 'completed' ? 0 : outcome === 'failed' ? 1 : 2;
}
