// The GPU worker's activity inbound interceptor: before a step runs it takes the step's GPUs from
// the allocator (waiting first in line and heartbeating `waiting_for_gpu` when they are busy), runs
// the step inside gpuContext (the command runner turns it into CUDA_VISIBLE_DEVICES), and gives the
// GPUs back however the step ends: success, failure, cancellation, timeout or worker shutdown.
// A crashed worker process takes its allocator with it, so nothing outlives it either.
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import { FAILURE_TYPES } from '../domain/failure-types';
import { NO_USAGE, StepResources, addUsage, parseHeartbeat, type StepHeartbeat } from '../domain/step-io';
import { GpuAllocator, GpuRequestUnsatisfiableError, type GpuLease, type WaitingInfo } from './allocator';
import { gpuContext } from './gpu-context';

const WAITING_HEARTBEAT_MS = 1000;

export interface GpuInterceptorEvents {
  onAcquired?(info: { activityId: string; activityType: string; lease: GpuLease; waitedMs: number }): void;
  onReleased?(info: { activityId: string; activityType: string; lease: GpuLease }): void;
}

/** The GPUs a step input asks for (missing or malformed resources = none; defineStep then rejects the input). */
export function gpuRequestOf(input: unknown): { gpus: number; memoryGb: number } {
  const r = StepResources.safeParse(
    typeof input === 'object' && input !== null && 'resources' in input ? input.resources : undefined,
  );
  return r.success ? { gpus: r.data.gpus, memoryGb: r.data.gpuMemoryGb } : { gpus: 0, memoryGb: 0 };
}

export function gpuAllocationInterceptor(
  allocator: GpuAllocator,
  events: GpuInterceptorEvents = {},
): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new GpuAllocationInbound(allocator, ctx, events) });
}

class GpuAllocationInbound implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly allocator: GpuAllocator,
    private readonly ctx: Context,
    private readonly events: GpuInterceptorEvents,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const req = gpuRequestOf(input.args[0]);
    if (req.gpus === 0) return next(input);
    const { info, cancellationSignal } = this.ctx;
    // Keep the previous attempt's checkpoint in every heartbeat we send while waiting: if this
    // attempt dies before the step runs, the next one must still find it.
    const previous = parseHeartbeat(info.heartbeatDetails);
    const started = Date.now();
    // The earlier attempts' usage plus this wait, so the node's GPU-wait time survives a retry or a pause.
    const usageSoFar = () => addUsage(previous?.usage ?? NO_USAGE, { ...NO_USAGE, gpuWaitMs: Date.now() - started });
    const waitingDetails = (w: WaitingInfo): StepHeartbeat => ({
      phase: 'waiting_for_gpu',
      message: `waiting for ${req.gpus} GPU(s)${req.memoryGb ? ` with ≥ ${req.memoryGb} GB` : ''}: ${w.free} free, ${w.ahead} step(s) ahead`,
      ...(previous?.checkpoint && { checkpoint: previous.checkpoint }),
      usage: usageSoFar(),
    });
    let beat: NodeJS.Timeout | undefined;
    let lease: GpuLease;
    try {
      lease = await this.allocator.acquire(req, {
        signal: cancellationSignal,
        onWaiting: (w) => {
          const details = waitingDetails(w);
          this.ctx.heartbeat(details);
          // Heartbeats keep the heartbeat timeout at bay and let cancellation reach us.
          beat = setInterval(() => this.ctx.heartbeat({ ...details, usage: usageSoFar() }), WAITING_HEARTBEAT_MS);
        },
      });
    } catch (err) {
      if (err instanceof GpuRequestUnsatisfiableError) {
        throw ApplicationFailure.nonRetryable(
          `${info.activityType} ${err.message}`,
          FAILURE_TYPES.GpuRequestUnsatisfiable,
        );
      }
      if ((err as Error).name === 'AbortError') {
        const reason = cancellationSignal.reason as Error | undefined;
        throw new CancelledFailure(reason?.message ?? 'CANCELLED', [
          { ...(previous?.checkpoint && { checkpoint: previous.checkpoint }), usage: usageSoFar() },
        ]);
      }
      throw err;
    } finally {
      if (beat) clearInterval(beat);
    }
    const waitedMs = Date.now() - started;
    try {
      // Cancelled while the GPUs were being handed over: the step does not start.
      if (cancellationSignal.aborted)
        throw new CancelledFailure((cancellationSignal.reason as Error | undefined)?.message ?? 'CANCELLED', [
          { ...(previous?.checkpoint && { checkpoint: previous.checkpoint }), usage: usageSoFar() },
        ]);
      this.events.onAcquired?.({ activityId: info.activityId, activityType: info.activityType, lease, waitedMs });
      if (waitedMs > 0 && beat)
        this.ctx.heartbeat({
          phase: 'running',
          gpus: [...lease.indices],
          ...(previous?.checkpoint && { checkpoint: previous.checkpoint }),
          usage: usageSoFar(),
        });
      return await gpuContext.run({ ...GpuAllocator.assignment(lease), waitedMs }, () => next(input));
    } finally {
      if (this.allocator.release(lease))
        this.events.onReleased?.({ activityId: info.activityId, activityType: info.activityType, lease });
    }
  }
}
