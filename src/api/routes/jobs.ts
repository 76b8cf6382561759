// Submit, validate, list and read jobs.
import { Router } from 'express';
import { planJob } from '../../domain/plan';
import { resolvePools } from '../../domain/pools';
import { resolveConfigPaths } from '../../sdk/config-path';
import { TrainyardError } from '../../sdk/errors';
import type { ResolvedDeps } from '../deps';
import { ApiError } from '../errors';
import { STATUS_REUSE_MS } from '../job-watcher';
import { jobLinks } from '../links';
import { jsonBody, parseWith, principalOf, scopeOf } from '../parse';
import { IdempotencyKeyHeader, JobIdParams, ListJobsQuery } from '../schemas';

export function jobsRouter(d: ResolvedDeps): Router {
  const r = Router();

  r.post('/v1/jobs', async (req, res) => {
    const p = principalOf(res);
    const rawKey = req.get('idempotency-key');
    const idempotencyKey = rawKey === undefined ? undefined : parseWith(IdempotencyKeyHeader, rawKey, 'headers', 'invalid_idempotency_key');
    try {
      const body = await resolveConfigPaths(jsonBody(req), d.configBaseDir);
      const result = await d.trainyard.submitJob(body, { owner: p.owner, idempotencyKey });
      d.metrics.submissions.inc({ result: result.created ? 'created' : 'existing' });
      res
        .status(result.created ? 201 : 200)
        .location(`/v1/jobs/${result.id}`)
        .json({ id: result.id, status: 'queued', created: result.created, specHash: result.specHash, links: jobLinks(result.id) });
    } catch (err) {
      d.metrics.submissions.inc({ result: err instanceof TrainyardError ? (err.status === 409 ? 'conflict' : 'invalid') : 'error' });
      throw err;
    }
  });

  r.post('/v1/jobs/validate', async (req, res) => {
    principalOf(res);
    const body = await resolveConfigPaths(jsonBody(req), d.configBaseDir);
    const { spec } = d.trainyard.prepare(body);
    const pools = resolvePools(spec, d.trainyard.config.pools);
    const plan = planJob(spec, { queuePrefix: d.trainyard.config.queuePrefix, pools });
    res.json({ valid: true, plan });
  });

  r.get('/v1/jobs', async (req, res) => {
    const p = principalOf(res);
    const qy = parseWith(ListJobsQuery, req.query, 'query');
    let owner: string | undefined = p.owner;
    if (qy.owner !== undefined) {
      if (!p.admin && qy.owner !== p.owner) throw new ApiError(403, 'forbidden', 'only admin keys may list other owners\' jobs', [{ path: 'query.owner', message: 'not allowed' }]);
      owner = qy.owner === '*' ? undefined : qy.owner;
    } else if (p.admin) owner = undefined;
    const page = await d.trainyard.listJobs({
      owner,
      status: qy.status,
      jobType: qy.type,
      tag: qy.tag,
      recoverable: qy.recoverable,
      pageSize: qy.pageSize,
      pageToken: qy.pageToken,
    });
    res.json(page);
  });

  r.get('/v1/jobs/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    const view = await d.trainyard.getJobStatus(id, scopeOf(p), { maxAgeMs: STATUS_REUSE_MS });
    res.json({ ...view, links: jobLinks(id) });
  });

  return r;
}
