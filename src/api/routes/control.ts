// pause / resume / cancel / recover: through the workflow's updates, so an illegal transition comes
// back as a 409 with the workflow's reason.
import { Router, type Response } from 'express';
import type { ResolvedDeps } from '../deps';
import { jsonBody, parseWith, principalOf, scopeOf } from '../parse';
import { EmptyBody, JobIdParams, PauseBody, RecoverBody } from '../schemas';
import type { ControlOutcome } from '../../sdk/types';

export function controlRouter(d: ResolvedDeps): Router {
  const r = Router();
  const run = async (action: string, res: Response, fn: () => Promise<ControlOutcome>) => {
    try {
      const out = await fn();
      d.metrics.controls.inc({ action, result: 'ok' });
      res.json(out);
    } catch (err) {
      d.metrics.controls.inc({ action, result: 'rejected' });
      throw err;
    }
  };

  r.post('/v1/jobs/:id/pause', async (req, res) => {
    const scope = scopeOf(principalOf(res));
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    const body = parseWith(PauseBody, jsonBody(req, { optional: true }), 'body');
    await run('pause', res, () => d.trainyard.pauseJob(id, body, scope));
  });

  r.post('/v1/jobs/:id/resume', async (req, res) => {
    const scope = scopeOf(principalOf(res));
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    parseWith(EmptyBody, jsonBody(req, { optional: true }), 'body');
    await run('resume', res, () => d.trainyard.resumeJob(id, scope));
  });

  r.post('/v1/jobs/:id/cancel', async (req, res) => {
    const scope = scopeOf(principalOf(res));
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    parseWith(EmptyBody, jsonBody(req, { optional: true }), 'body');
    await run('cancel', res, () => d.trainyard.cancelJob(id, scope));
  });

  r.post('/v1/jobs/:id/recover', async (req, res) => {
    const scope = scopeOf(principalOf(res));
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    const body = parseWith(RecoverBody, jsonBody(req, { optional: true }), 'body');
    await run('recover', res, () => d.trainyard.recoverJob(id, body, scope));
  });

  return r;
}
