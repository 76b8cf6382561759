// A job's page: header (status, progress, recoveries, the Temporal Web UI link), controls, the live
// DAG, the timeline, and the panel of the selected node.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { JobSpecView, NodeView, SessionView } from '../../../src/http/contracts';
import { getJson, jobUrl } from '../api';
import { Controls } from '../controls';
import { Dag, type NodeExtra } from '../dag';
import { duration, since, time } from '../format';
import { actualCriticalPath, buildVisibleGraph, type GraphNode, type VisibleGraph } from '../graph';
import { LiveJob } from '../live';
import { NodePanel } from '../node-panel';
import { StatusBadge } from '../status';
import { Timeline } from '../timeline';
import { useLayout } from '../use-layout';

const EMPTY_GRAPH: VisibleGraph = {
  vertices: [],
  edges: [],
  vertexOf: new Map(),
  groups: new Map(),
  groupOf: new Map(),
};

function useLiveJob(id: string): LiveJob {
  const live = useMemo(() => new LiveJob(id), [id]);
  const [, setVersion] = useState(0);
  useEffect(() => {
    const off = live.subscribe(() => setVersion(live.version));
    live.start();
    return () => {
      off();
      live.close();
    };
  }, [live]);
  return live;
}

export function JobPage(props: { id: string; session: SessionView }) {
  const live = useLiveJob(props.id);
  const [spec, setSpec] = useState<JobSpecView | undefined>();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | undefined>();
  const [zoomSetting, setZoom] = useState<number | 'fit'>('fit');
  const scroller = useRef<HTMLDivElement>(null);
  const [areaWidth, setAreaWidth] = useState(0);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setAreaWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [live.view !== undefined]);

  useEffect(() => {
    getJson<JobSpecView>(`${jobUrl(props.id)}/spec`).then(setSpec, () => undefined);
  }, [props.id]);

  const view = live.view;
  // Drawn in three tasks once the job is known: the header, then the DAG, then the timeline. On a
  // 10,000-node job all three in one task made a main-thread task far over 200 ms.
  const [stage, setStage] = useState(0);
  const hasView = view !== undefined;
  useEffect(() => {
    if (!hasView || stage >= 2) return;
    const t = setTimeout(() => setStage((s) => s + 1), 0);
    return () => clearTimeout(t);
  }, [hasView, stage]);
  const dagShown = stage >= 1;
  const timelineShown = stage >= 2;
  // The graph's shape changes only with the node list (not with statuses).
  const shape: GraphNode[] = useMemo(
    () =>
      live.order.map((id) => {
        const n = live.nodes.get(id)!;
        return { id, type: n.type, dependsOn: n.dependsOn, trial: n.trial };
      }),
    [live.order],
  );
  const graph = useMemo(
    () => (dagShown ? buildVisibleGraph(shape, expanded) : EMPTY_GRAPH),
    [shape, expanded, dagShown],
  );
  const layout = useLayout(graph);
  // "Fit": the whole graph across the area (never above 100%, never below 30% — then it scrolls).
  const fit = areaWidth && layout.width ? Math.max(0.3, Math.min(1, (areaWidth - 4) / layout.width)) : 1;
  const zoom = zoomSetting === 'fit' ? fit : zoomSetting;

  const extras = useMemo(() => {
    const m = new Map<string, NodeExtra>();
    for (const n of spec?.spec.nodes ?? []) {
      const gpus = n.resources.gpus ?? (n.type === 'train' || n.type === 'export' ? 1 : 0);
      m.set(n.id, { maxAttempts: n.retry.maxAttempts, gpus });
    }
    return m;
  }, [spec]);

  const critical = useMemo(() => new Set(actualCriticalPath([...live.nodes.values()])), [live.version]);

  const onNode = useCallback((id: string) => setSelected((s) => (s === id ? undefined : id)), []);
  const onGroup = useCallback(
    (gid: string) =>
      setExpanded((e) => {
        const next = new Set(e);
        next.add(gid);
        return next;
      }),
    [],
  );
  const collapse = (gid: string) =>
    setExpanded((e) => {
      const next = new Set(e);
      next.delete(gid);
      return next;
    });

  if (!view) {
    if (live.loadError)
      return (
        <section>
          <h1>Job {props.id}</h1>
          <p role="alert" class="error">
            {live.loadError}
          </p>
        </section>
      );
    return <p>Loading job…</p>;
  }

  const temporal = props.session.temporalUi;
  const temporalHref = temporal
    ? `${temporal.url}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(view.id)}`
    : undefined;
  const selectedNode: NodeView | undefined = selected ? live.nodes.get(selected) : undefined;
  const expandedGroups = [...expanded].filter((g) => graph.groups.has(g));

  return (
    <section class="job" aria-labelledby="job-title">
      <header class="job-head">
        <div>
          <h1 id="job-title">{view.name}</h1>
          <div class="sub">
            {view.id} · owner {view.owner}
          </div>
        </div>
        <div class="job-status" aria-live="polite">
          <StatusBadge status={view.status} job />
          {view.pauseMode && view.status === 'paused' && <span class="badge">pause: {view.pauseMode}</span>}
          <span class="progress-cell">
            <progress max={100} value={view.progress} aria-label="Job progress" />
            {Math.round(view.progress)}%
          </span>
          <span class={`stream ${live.stream}`} title="live stream">
            {live.stream === 'live'
              ? 'live'
              : live.stream === 'connecting'
                ? 'connecting…'
                : live.stream === 'lost'
                  ? 'stream lost'
                  : 'final'}
          </span>
        </div>
        <dl class="facts">
          <div>
            <dt>Started</dt>
            <dd>{time(view.startedAt ?? view.workflow.startTime)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{duration(since(view.startedAt ?? view.workflow.startTime, view.completedAt))}</dd>
          </div>
          <div>
            <dt>Nodes</dt>
            <dd>
              {Object.entries(view.counts)
                .filter(([, c]) => c)
                .map(([s, c]) => `${c} ${s}`)
                .join(', ')}
            </dd>
          </div>
          <div>
            <dt>Recoveries</dt>
            <dd>{view.recoveryAttempts}</dd>
          </div>
          {temporalHref && (
            <div>
              <dt>Temporal</dt>
              <dd>
                <a href={temporalHref} target="_blank" rel="noopener noreferrer">
                  Workflow in the Temporal Web UI
                </a>
              </dd>
            </div>
          )}
        </dl>
      </header>
      {live.loadError && (
        <p role="alert" class="error">
          {live.loadError}
        </p>
      )}
      <Controls live={live} selected={selected} />
      <div class={`job-body${selectedNode ? ' with-panel' : ''}`}>
        <div class="graph-area">
          <div class="graph-tools" role="toolbar" aria-label="Graph">
            <button type="button" onClick={() => setZoom(Math.min(2, zoom * 1.25))} aria-label="Zoom in">
              +
            </button>
            <button type="button" onClick={() => setZoom(Math.max(0.1, zoom / 1.25))} aria-label="Zoom out">
              −
            </button>
            <button type="button" onClick={() => setZoom('fit')} aria-pressed={zoomSetting === 'fit'}>
              Fit
            </button>
            <button type="button" onClick={() => setZoom(1)}>
              100%
            </button>
            <span class="legend">
              {graph.vertices.length} shown of {live.order.length} nodes · layout {layout.engine}
            </span>
            {expandedGroups.map((g) => (
              <button type="button" onClick={() => collapse(g)}>
                Collapse {live.nodes.get(graph.groups.get(g)![0]!)?.type ?? 'group'} ×{graph.groups.get(g)!.length}
              </button>
            ))}
          </div>
          <div class="graph-scroll" ref={scroller}>
            {!dagShown && <p class="muted">Drawing the graph…</p>}
            <Dag
              graph={graph}
              layout={layout}
              nodes={live.nodes}
              extras={extras}
              selected={selected}
              critical={critical}
              zoom={zoom}
              onNode={onNode}
              onGroup={onGroup}
            />
          </div>
        </div>
        {selectedNode && (
          <NodePanel
            key={selectedNode.id}
            jobId={view.id}
            node={selectedNode}
            spec={spec}
            live={live}
            onClose={() => setSelected(undefined)}
          />
        )}
      </div>
      {timelineShown && <Timeline live={live} graph={graph} critical={critical} onNode={onNode} />}
    </section>
  );
}
