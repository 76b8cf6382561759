// The selected node: what it is and got, its attempts and errors, the live log, artifacts (plots
// drawn as SVG images), the metrics table and the loss curve (history + live heartbeats).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Artifact, ArtifactList, JobSpecView, NodeMetrics, NodeView } from '../../src/http/contracts';
import { ApiFailure, getJson, jobUrl, request } from './api';
import { LineChart } from './charts';
import { gpuTimeMs, nodeDetail, percentOf } from './dag';
import { bytes, duration, num, time } from './format';
import type { LiveJob } from './live';
import { StatusBadge } from './status';

const ACTIVE = new Set(['pending', 'queued', 'running', 'retrying', 'paused', 'waiting_for_gpu']);
const MAX_LOG_CHARS = 400_000;

function LogView(props: { jobId: string; node: string; active: boolean }) {
  const [text, setText] = useState('');
  const [state, setState] = useState<'waiting' | 'following' | 'done' | 'none'>('waiting');
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const res = await request(
          `${jobUrl(props.jobId)}/logs?node=${encodeURIComponent(props.node)}&follow=${props.active}&tail=2000`,
          { signal: ctrl.signal },
        );
        setState(props.active ? 'following' : 'done');
        setText('');
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const chunk = dec.decode(value, { stream: true });
          setText((t) => {
            const next = t + chunk;
            return next.length > MAX_LOG_CHARS ? next.slice(next.length - MAX_LOG_CHARS) : next;
          });
        }
        if (!stopped) setState('done');
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiFailure && err.status === 404) {
          setState(props.active ? 'waiting' : 'none');
          if (props.active) timer = setTimeout(() => void run(), 1500);
        } else setState('done');
      }
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [props.jobId, props.node, props.active]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);

  return (
    <section class="log" aria-label={`Log of ${props.node}`}>
      <div class="log-head">
        <h3>Log</h3>
        <span class="muted">
          {state === 'following'
            ? 'following'
            : state === 'waiting'
              ? 'no output yet'
              : state === 'none'
                ? 'no log'
                : 'complete'}
        </span>
        <label class="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} />
          Follow
        </label>
      </div>
      <pre ref={pre} tabIndex={0} aria-label="Log output" data-log-state={state}>
        {text}
      </pre>
    </section>
  );
}

function Artifacts(props: { jobId: string; node: string; status: string }) {
  const [list, setList] = useState<Artifact[] | undefined>();
  useEffect(() => {
    getJson<ArtifactList>(`${jobUrl(props.jobId)}/artifacts`).then(
      (a) => setList(a.artifacts.filter((x) => x.node === props.node)),
      () => setList([]),
    );
  }, [props.jobId, props.node, props.status]);
  if (!list) return null;
  const plots = list.filter((a) => a.mediaType.startsWith('image/svg'));
  return (
    <section aria-label="Artifacts">
      <h3>Artifacts</h3>
      {list.length === 0 && <p class="muted">None yet.</p>}
      {plots.length > 0 && (
        <div class="plots">
          {plots.map((a) => (
            // An <img>, not inline markup: a job's SVG cannot run script on the dashboard's origin.
            <figure>
              <img src={a.url} alt={`plot ${a.name}`} loading="lazy" />
              <figcaption>{a.name}</figcaption>
            </figure>
          ))}
        </div>
      )}
      {list.length > 0 && (
        <ul class="artifacts">
          {list.map((a) => (
            <li>
              <a href={a.url} download={a.name}>
                {a.path}
              </a>{' '}
              <span class="muted">
                {bytes(a.size)} · {a.mediaType}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Metrics(props: { jobId: string; node: NodeView; live: LiveJob }) {
  const [hist, setHist] = useState<NodeMetrics | undefined>();
  const [err, setErr] = useState<string | undefined>();
  const terminal = !ACTIVE.has(props.node.status);
  useEffect(() => {
    getJson<NodeMetrics>(`${jobUrl(props.jobId)}/nodes/${encodeURIComponent(props.node.id)}/metrics`).then(
      (m) => {
        setHist(m);
        setErr(undefined);
      },
      (e: unknown) => setErr(e instanceof ApiFailure ? e.message : 'metrics not reachable'),
    );
  }, [props.jobId, props.node.id, terminal, props.node.executions]);
  const livePts = props.live.progress.get(props.node.id) ?? [];
  const histPts = hist?.points ?? [];
  const lastHistT = histPts.length ? Date.parse(histPts[histPts.length - 1]!.t) : -Infinity;
  const loss = [
    ...histPts.filter((p) => p.loss !== undefined).map((p, i) => ({ x: p.epoch ?? i, y: p.loss! })),
    ...livePts
      .filter((p) => p.t > lastHistT && p.loss !== undefined)
      .map((p, i) => ({ x: p.epoch ?? histPts.length + i, y: p.loss! })),
  ];
  const val = histPts.filter((p) => p.valMetric !== undefined).map((p, i) => ({ x: p.epoch ?? i, y: p.valMetric! }));
  const keys = hist?.keys ?? [];
  const rows = histPts.slice(-50);
  return (
    <section aria-label="Metrics">
      <h3>Loss curve</h3>
      <LineChart
        title="Loss curve"
        xLabel="epoch"
        series={[
          { name: 'loss', color: '#0072B2', points: loss },
          ...(val.length ? [{ name: 'val', color: '#D55E00', points: val }] : []),
        ]}
      />
      <h3>Metrics</h3>
      {err && <p class="muted">{err}</p>}
      {hist && histPts.length === 0 && <p class="muted">No metrics reported.</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="metrics">
            <caption class="muted">
              {histPts.length > rows.length
                ? `last ${rows.length} of ${histPts.length} reports`
                : `${rows.length} reports`}
              {hist?.truncated ? ' (truncated)' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">time</th>
                <th scope="col">attempt</th>
                <th scope="col">epoch</th>
                <th scope="col">loss</th>
                <th scope="col">val</th>
                {keys.map((k) => (
                  <th scope="col">{k}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr>
                  <td>{time(p.t)}</td>
                  <td>{p.attempt}</td>
                  <td>{num(p.epoch)}</td>
                  <td>{num(p.loss)}</td>
                  <td>{num(p.valMetric)}</td>
                  {keys.map((k) => (
                    <td>{num(p.metrics[k])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Json(props: { value: unknown }) {
  return <pre class="json">{JSON.stringify(props.value, null, 2)}</pre>;
}

export function NodePanel(props: {
  jobId: string;
  node: NodeView;
  spec: JobSpecView | undefined;
  live: LiveJob;
  onClose: () => void;
}) {
  const n = props.node;
  const specNode = props.spec?.spec.nodes.find((x) => x.id === n.id);
  const planned = props.spec?.plan.nodes.find((x) => x.id === n.id);
  const gotGpus = n.output?.meta?.gpus ?? n.live?.gpus;
  const gpus = gotGpus?.length ?? specNode?.resources.gpus ?? 0;
  const maxAttempts = specNode?.retry.maxAttempts;
  const attempt = n.attempt ?? n.attempts;
  const pct = n.status === 'running' || n.status === 'paused' ? percentOf(n) : undefined;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <aside class="panel" aria-labelledby="panel-title">
      <div class="panel-head">
        <h2 id="panel-title" tabIndex={-1} ref={heading}>
          {n.id}
        </h2>
        <StatusBadge status={n.status} />
        <button type="button" onClick={props.onClose} aria-label={`Close ${n.id}`}>
          ×
        </button>
      </div>
      <p class="detail">{nodeDetail(n, { maxAttempts, gpus })}</p>
      {pct !== undefined && <progress max={100} value={pct} aria-label={`${n.id} progress`} />}
      <dl class="facts">
        <div>
          <dt>Type</dt>
          <dd>
            {n.type}
            {specNode?.template ? ` (template ${specNode.template})` : ''}
          </dd>
        </div>
        <div>
          <dt>Attempt</dt>
          <dd>
            {attempt}
            {maxAttempts ? ` of ${maxAttempts}` : ''}
            {n.executions > 1 ? ` · run ${n.executions}` : ''}
          </dd>
        </div>
        <div>
          <dt>Queue</dt>
          <dd>
            {n.taskQueue}
            {planned?.pool ? ` · pool ${planned.pool}` : ''}
          </dd>
        </div>
        <div>
          <dt>Resources</dt>
          <dd>
            {specNode ? `${specNode.resources.gpus ?? 'default'} GPU, ${specNode.resources.gpuMemoryGb} GB` : '—'}
          </dd>
        </div>
        <div>
          <dt>GPUs got</dt>
          <dd>{gotGpus?.length ? gotGpus.join(', ') : 'none'}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            {time(n.startedAt)}
            {n.firstStartedAt && n.firstStartedAt !== n.startedAt ? ` (first ${time(n.firstStartedAt)})` : ''}
          </dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{time(n.completedAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{duration(n.durationMs)}</dd>
        </div>
        <div>
          <dt>GPU time</dt>
          <dd>{duration(gpuTimeMs(n, { gpus }))}</dd>
        </div>
        {n.usage && (
          <div>
            <dt>Ran / waited for GPUs</dt>
            <dd>
              {duration(n.usage.runningMs)} / {duration(n.usage.gpuWaitMs)}
            </dd>
          </div>
        )}
        {n.output?.meta?.worker && (
          <div>
            <dt>Worker</dt>
            <dd>{n.output.meta.worker}</dd>
          </div>
        )}
      </dl>
      {n.waitingFor && (
        <p role="status" class="waiting">
          Waiting for GPU quota in pool {n.waitingFor.pool}: needs {n.waitingFor.gpus}
          {n.waitingFor.held !== undefined ? `, holding ${n.waitingFor.held}` : ''}
          {n.waitingFor.limit !== undefined && n.waitingFor.limit !== null ? ` of ${n.waitingFor.limit}` : ''}
          {n.waitingFor.ahead ? `, ${n.waitingFor.ahead} ahead` : ''} (since {time(n.waitingFor.since)}).
        </p>
      )}
      {(n.lastFailure || n.error) && (
        <section aria-label="Attempts and errors">
          <h3>Errors</h3>
          {n.lastFailure && (
            <p>
              Previous attempt ({Math.max(1, attempt - 1)}): <code>{n.lastFailure}</code>
              {n.nextAttemptAt ? ` — next attempt ${time(n.nextAttemptAt)}` : ''}
            </p>
          )}
          {n.error && (
            <div class="error-box">
              <p>
                <strong>{n.error.type ?? 'Error'}</strong>: {n.error.message}
              </p>
              {n.error.stack && (
                <details>
                  <summary>Stack trace</summary>
                  <pre>{n.error.stack}</pre>
                </details>
              )}
            </div>
          )}
        </section>
      )}
      <LogView jobId={props.jobId} node={n.id} active={ACTIVE.has(n.status)} />
      <Metrics jobId={props.jobId} node={n} live={props.live} />
      <Artifacts jobId={props.jobId} node={n.id} status={n.status} />
      {n.output?.summary && Object.keys(n.output.summary).length > 0 && (
        <section aria-label="Summary">
          <h3>Summary</h3>
          <Json value={n.output.summary} />
        </section>
      )}
      {specNode && (
        <section aria-label="Configuration">
          <h3>Config</h3>
          <Json value={specNode.config} />
          <details>
            <summary>Resources, retry, timeouts</summary>
            <Json value={{ resources: specNode.resources, retry: specNode.retry, timeout: specNode.timeout }} />
          </details>
        </section>
      )}
    </aside>
  );
}
