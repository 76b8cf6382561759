// pause / resume / cancel / recover: through the workflow's updates, so an illegal transition comes
// back as a 409 with the workflow's reason. terminate: Temporal's terminate, for a job that cannot
// stop itself (a wedged workflow task, a step that ignores cancellation).
import type { ControlOutcome } from '../../http/contracts';
import type { ResolvedDeps } from '../deps';
import { scopeOf } from '../parse';
import type { RouteHandlers } from '../route-table';

export function controlHandlers(
  d: ResolvedDeps,
): Pick<RouteHandlers, 'pauseJob' | 'resumeJob' | 'cancelJob' | 'recoverJob' | 'terminateJob'> {
  const run = async (action: string, fn: () => Promise<ControlOutcome>) => {
    try {
      const out = await fn();
      d.metrics.controls.inc({ action, result: 'ok' });
      return { status: 200 as const, body: out };
    } catch (err) {
      d.metrics.controls.inc({ action, result: 'rejected' });
      throw err;
    }
  };
  return {
    pauseJob: ({ principal, params, body }) =>
      run('pause', () => d.trainyard.pauseJob(params.id, body, scopeOf(principal))),
    resumeJob: ({ principal, params }) => run('resume', () => d.trainyard.resumeJob(params.id, scopeOf(principal))),
    cancelJob: ({ principal, params }) => run('cancel', () => d.trainyard.cancelJob(params.id, scopeOf(principal))),
    recoverJob: ({ principal, params, body }) =>
      run('recover', () => d.trainyard.recoverJob(params.id, body, scopeOf(principal))),
    terminateJob: ({ principal, params, body }) =>
      run('terminate', () =>
        d.trainyard.terminateJob(
          params.id,
          `terminated through the API by ${principal.owner}${body.reason ? `: ${body.reason}` : ''}`,
          scopeOf(principal),
        ),
      ),
  };
}
