// Prometheus metrics (own registry per app, so several apps in one process don't collide):
// requests by route/status, latency, submissions, and job outcomes (counted from visibility at
// scrape time: the API keeps no job state, and every replica reports the same numbers).
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATUSES } from '../domain/statuses';
import { JOB_WORKFLOW_TYPE } from '../domain/search-attributes';

export interface ApiMetrics {
  registry: Registry;
  submissions: Counter<'result'>;
  controls: Counter<'action' | 'result'>;
  streamClients: Gauge<'kind'>;
  middleware: RequestHandler;
}

/** `count(query)` of the jobs per status; omitted = no job-outcome gauge. */
export type CountJobs = (query: string) => Promise<number>;

export function createMetrics(opts: { countJobs?: CountJobs; defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'trainyard_api_' });
  const requests = new Counter({
    name: 'trainyard_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'trainyard_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const submissions = new Counter({
    name: 'trainyard_job_submissions_total',
    help: 'Job submissions by result (created, existing, invalid, conflict, error)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const controls = new Counter({
    name: 'trainyard_job_controls_total',
    help: 'pause/resume/cancel/recover requests by result',
    labelNames: ['action', 'result'] as const,
    registers: [registry],
  });
  const streamClients = new Gauge({
    name: 'trainyard_stream_clients',
    help: 'Open WebSocket / SSE subscriptions',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  if (opts.countJobs) {
    const countJobs = opts.countJobs;
    new Gauge({
      name: 'trainyard_jobs',
      help: 'Jobs by status (job outcomes: completed, failed, cancelled), from Temporal visibility',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        await Promise.all(
          JOB_STATUSES.map(async (s) => {
            try {
              this.set(
                { status: s },
                await countJobs(
                  `WorkflowType = '${JOB_WORKFLOW_TYPE}' AND JobStatus = '${s}' AND ExecutionStatus != 'ContinuedAsNew'`,
                ),
              );
            } catch {
              /* Temporal unreachable: leave the last value; /readyz says why */
            }
          }),
        );
      },
    });
  }
  const middleware: RequestHandler = (req, res, next) => {
    const end = latency.startTimer();
    res.on('finish', () => {
      // The route pattern, never the raw path (unbounded label values).
      const route = req.route?.path
        ? `${req.baseUrl}${String(req.route.path)}`
        : res.statusCode === 404
          ? 'unmatched'
          : req.baseUrl || 'unmatched';
      const labels = { method: req.method, route };
      requests.inc({ ...labels, status: String(res.statusCode) });
      end(labels);
    });
    next();
  };
  return { registry, submissions, controls, streamClients, middleware };
}
