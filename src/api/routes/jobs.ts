// Submit, validate, list and read jobs.
import { jobCredits } from '../../credits/job-credits';
import { planJob, withCachePredictions } from '../../domain/plan';
import { resolvePools } from '../../domain/pools';
import { scheduleIdOf } from '../../domain/scheduled-run';
import { jobLinks } from '../../http/contracts';
import { resolveConfigPaths } from '../../sdk/config-path';
import { predictCacheHits } from '../../storage/cache-plan';
import { StepCache } from '../../storage/step-cache';
import { TrainyardError } from '../../sdk/errors';
import type { ResolvedDeps } from '../deps';
import { HttpError } from '../errors';
import { scopeOf } from '../parse';
import type { RouteHandlers } from '../route-table';

export function jobHandlers(
  d: ResolvedDeps,
): Pick<
  RouteHandlers,
  'submitJob' | 'validateJob' | 'rerunJob' | 'listJobs' | 'getJob' | 'listJobNodes' | 'getJobSpec'
> {
  const cache = new StepCache(d.store);
  return {
    async submitJob({ principal, headers, body }) {
      try {
        const spec = await resolveConfigPaths(body, d.configBaseDir, { owner: principal.owner });
        const result = await d.trainyard.submitJob(spec, {
          owner: principal.owner,
          idempotencyKey: headers['idempotency-key'],
        });
        d.metrics.submissions.inc({ result: result.created ? 'created' : 'existing' });
        return {
          status: result.created ? 201 : 200,
          headers: { Location: `/v1/jobs/${encodeURIComponent(result.id)}` },
          body: {
            id: result.id,
            status: 'queued',
            created: result.created,
            specHash: result.specHash,
            links: jobLinks(result.id),
          },
        };
      } catch (err) {
        d.metrics.submissions.inc({
          result: err instanceof TrainyardError ? (err.status === 409 ? 'conflict' : 'invalid') : 'error',
        });
        throw err;
      }
    },

    async validateJob({ principal, body }) {
      const { spec } = d.trainyard.prepare(
        await resolveConfigPaths(body, d.configBaseDir, { owner: principal.owner }),
        principal.owner,
      );
      const pools = resolvePools(spec, d.trainyard.config.pools);
      const { estimate } = jobCredits(spec, pools, d.config.credits.settings);
      let plan = planJob(spec, { queuePrefix: d.trainyard.config.queuePrefix, pools });
      // The nodes that will hit the step cache (the caller's entries), when the job uses it.
      if (spec.cache !== undefined || spec.nodes.some((n) => n.cache !== undefined))
        plan = withCachePredictions(
          plan,
          await predictCacheHits(spec, { owner: principal.owner, cache, dataRoot: d.config.dataRoot }),
        );
      return {
        status: 200,
        body: {
          valid: true,
          plan,
          credits: { ...estimate, enforced: d.trainyard.accounts !== undefined },
        },
      };
    },

    async rerunJob({ principal, params, body }) {
      try {
        const result = await d.trainyard.rerunJob(params.id, body, {
          owner: principal.owner,
          scope: scopeOf(principal),
        });
        d.metrics.submissions.inc({ result: 'created' });
        return {
          status: 201,
          headers: { Location: `/v1/jobs/${encodeURIComponent(result.id)}` },
          body: {
            id: result.id,
            status: 'queued',
            created: true,
            specHash: result.specHash,
            links: jobLinks(result.id),
            rerunOf: result.rerunOf,
          },
        };
      } catch (err) {
        d.metrics.submissions.inc({
          result: err instanceof TrainyardError ? (err.status === 409 ? 'conflict' : 'invalid') : 'error',
        });
        throw err;
      }
    },

    async listJobs({ principal, query }) {
      let owner: string | undefined = principal.owner;
      if (query.owner !== undefined) {
        if (!principal.admin && query.owner !== principal.owner)
          throw new HttpError(403, 'forbidden', "only admin keys may list other owners' jobs", [
            { path: 'query.owner', message: 'not allowed' },
          ]);
        owner = query.owner === '*' ? undefined : query.owner;
      } else if (principal.admin) owner = undefined;
      const page = await d.trainyard.listJobs({
        owner,
        status: query.status,
        jobType: query.type,
        tag: query.tag,
        recoverable: query.recoverable,
        ...(query.schedule !== undefined && {
          scheduledBy: scheduleIdOf(d.trainyard.config.queuePrefix, owner ?? principal.owner, query.schedule),
        }),
        pageSize: query.pageSize,
        pageToken: query.pageToken,
      });
      return { status: 200, body: page };
    },

    async getJob({ principal, params }) {
      const view = await d.trainyard.getJobStatus(params.id, scopeOf(principal), { maxAgeMs: d.statusReuseMs });
      return { status: 200, body: view };
    },

    async listJobNodes({ principal, params, query }) {
      const page = await d.trainyard.listJobNodes(params.id, scopeOf(principal), {
        ...query,
        maxAgeMs: d.statusReuseMs,
      });
      return { status: 200, body: page };
    },

    async getJobSpec({ principal, params }) {
      return { status: 200, body: await d.trainyard.getJobSpec(params.id, scopeOf(principal)) };
    },
  };
}
