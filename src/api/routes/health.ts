// /healthz: the process answers. /readyz: Temporal answers and every task queue this deployment
// needs has pollers (workflows, CPU, and each GPU pool's train/export queues), and the artifact store
// is usable — 503 with what's missing.
import { queueNames } from '../../domain/task-queues';
import { describeGpuPools } from '../../gpu/readiness';
import type { Readiness } from '../../http/contracts';
import type { ResolvedDeps } from '../deps';
import type { RouteHandlers } from '../route-table';

const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

type QueueCheck = Readiness['queues'][number];

export function healthHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'healthz' | 'readyz'> {
  return {
    healthz: async () => ({ status: 200, body: { status: 'ok' } }),
    readyz: async () => {
      const namespace = d.client.options.namespace;
      const q = queueNames(d.config.queuePrefix);
      const missing: string[] = [];
      const queues: QueueCheck[] = [];
      const gpuPools: Readiness['gpuPools'] = [];
      let reachable = true;
      let error: string | undefined;
      const describe = async (name: string, kind: 'workflow' | 'activity'): Promise<QueueCheck> => {
        const resp = await d.client.withDeadline(Date.now() + 3000, () =>
          d.client.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name, kind: TASK_QUEUE_KIND_NORMAL },
            taskQueueType: kind === 'workflow' ? TASK_QUEUE_TYPE_WORKFLOW : TASK_QUEUE_TYPE_ACTIVITY,
          }),
        );
        const pollers = resp.pollers?.length ?? 0;
        return { name, kind, pollers, ok: pollers > 0 };
      };
      try {
        queues.push(...(await Promise.all([describe(q.workflows, 'workflow'), describe(q.cpu, 'activity')])));
        const pools = await describeGpuPools(d.client, d.config, { namespace });
        for (const p of pools) {
          if (p.error) throw new Error(p.error);
          queues.push({
            name: p.train.taskQueue,
            kind: 'activity',
            pollers: p.train.pollers.length,
            ok: p.train.pollers.length > 0,
          });
          queues.push({
            name: p.export.taskQueue,
            kind: 'activity',
            pollers: p.export.pollers.length,
            ok: p.export.pollers.length > 0,
          });
          // Each pool's workers and the GPUs they announced (flagged when simulated via TRAINYARD_GPUS).
          gpuPools.push({
            pool: p.pool,
            ready: p.ready,
            gpus: p.gpus,
            simulated: p.workers.some((w) => w.gpus?.simulated),
            workers: p.workers,
          });
        }
      } catch (err) {
        reachable = false;
        error = (err as Error).message.split('\n')[0]?.slice(0, 200);
        missing.push('temporal');
      }
      let storeError: string | undefined;
      try {
        await d.store.objects.check();
      } catch (err) {
        storeError = (err as Error).message.split('\n')[0]?.slice(0, 300);
        missing.push('artifact store');
      }
      for (const c of queues) if (!c.ok) missing.push(`pollers on ${c.kind} task queue ${c.name}`);
      const ready = missing.length === 0;
      const body: Readiness = {
        ready,
        temporal: { reachable, ...(error && { error }) },
        store: {
          uri: d.store.objects.uri,
          reachable: storeError === undefined,
          ...(storeError && { error: storeError }),
        },
        queues,
        gpuPools,
        missing,
      };
      return { status: ready ? 200 : 503, body };
    },
  };
}
