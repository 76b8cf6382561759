// GET /v1/jobs/:id/nodes/:node/metrics: a node's metrics history (every progress report it made).
// Read from the node's metrics stream in the log sink (live, written by the command step); a
// built-in train node's loss-history.json is served in the same shape.
import { StringDecoder } from 'node:string_decoder';
import { LossHistory, MAX_POINTS, MetricPoint, type NodeMetrics } from '../../domain/metrics-history';
import type { ResolvedDeps } from '../deps';
import { HttpError } from '../errors';
import { scopeOf } from '../parse';
import type { RouteHandlers } from '../route-table';
import type { Artifacts } from '../../storage/artifacts';
import type { LogChunk } from '../../storage/log-sink';

/** Enough bytes for MAX_POINTS points. */
const METRICS_MAX_BYTES = 32 << 20;
/** The stream is read this much at a time: a request never holds more than a block of it. */
const READ_BLOCK = 1 << 20;
/** A loss-history.json larger than this (a command step may publish one) is not served. */
const LOSS_HISTORY_MAX_BYTES = 4 << 20;

/** The lines of the node's metrics stream, a block at a time; undefined when there is none. */
async function metricsLines(store: Artifacts, key: string): Promise<AsyncGenerator<string> | undefined> {
  let first;
  try {
    first = await store.logs.read(key, 0, READ_BLOCK);
  } catch {
    return undefined;
  }
  if (!first) return undefined;
  return (async function* () {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let chunk: LogChunk | undefined = first;
    while (chunk && chunk.data.length > 0) {
      const lines = (rest + decoder.write(chunk.data)).split('\n');
      rest = lines.pop() ?? '';
      yield* lines;
      if (chunk.next >= Math.min(chunk.size, METRICS_MAX_BYTES)) break;
      chunk = await store.logs
        .read(key, chunk.next, Math.min(READ_BLOCK, METRICS_MAX_BYTES - chunk.next))
        .catch(() => undefined);
    }
    rest += decoder.end();
    if (rest) yield rest;
  })();
}

async function readObject(store: Artifacts, key: string): Promise<string | undefined> {
  try {
    const info = await store.objects.stat(key);
    if (!info || info.size > LOSS_HISTORY_MAX_BYTES) return undefined;
    return (await store.objects.get(key)).toString('utf8');
  } catch {
    return undefined;
  }
}

function parseLine(line: string): MetricPoint | undefined {
  try {
    const v: unknown = JSON.parse(line);
    // A cheap look first: zod's refusal (building its issues) costs ~30 times a JSON.parse.
    if (typeof v !== 'object' || v === null || !('metrics' in v) || !('t' in v)) return undefined;
    const parsed = MetricPoint.safeParse(v);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // a torn last line of a running step
  }
}

export function metricsHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'getNodeMetrics'> {
  return {
    getNodeMetrics: async ({ principal, params }) => {
      const { id, node } = params;
      const view = await d.trainyard.getJobStatus(id, scopeOf(principal), { maxAgeMs: d.statusReuseMs });
      if (!view.nodes.some((n) => n.id === node))
        throw new HttpError(404, 'node_not_found', `job ${id} has no node ${JSON.stringify(node)}`, [
          { path: 'params.node', message: 'no such node' },
        ]);
      const jobDir = await d.trainyard.jobDir(id);
      const points: MetricPoint[] = [];
      let truncated = false;
      const lines = await metricsLines(d.store, d.store.metricsKey(jobDir, node));
      if (lines !== undefined) {
        // At most MAX_POINTS lines are parsed, points or not (the writer writes no more): the
        // parsing a request costs is bounded whatever the stream holds.
        let parsed = 0;
        for await (const line of lines) {
          if (!line.trim()) continue;
          if (parsed++ >= MAX_POINTS) {
            truncated = true;
            break;
          }
          // Other requests go on every hundred lines.
          if (parsed % 100 === 0) await new Promise<void>((r) => setImmediate(r));
          const point = parseLine(line);
          if (point) points.push(point);
        }
      } else {
        const raw = await readObject(d.store, d.store.keyOf(jobDir, node, 'loss-history.json'));
        let history;
        try {
          history = raw === undefined ? undefined : LossHistory.safeParse(JSON.parse(raw));
        } catch {
          history = undefined;
        }
        if (history?.success)
          for (const e of history.data.epochs)
            points.push({
              t: '',
              attempt: 0,
              epoch: e.epoch,
              loss: e.loss,
              valMetric: e.valMetric,
              metrics: { [history.data.metricName]: e.valMetric },
            });
      }
      const keys = [...new Set(points.flatMap((pt) => Object.keys(pt.metrics)))].sort();
      const body: NodeMetrics = { jobId: id, nodeId: node, points, keys, truncated };
      return { status: 200, body };
    },
  };
}
