// The GPUs held by the step running in the current async context. The GPU worker's allocation
// interceptor sets it around each activity; steps (the command runner) read it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { GpuAssignment } from '../domain/step-io';

/** The step's GPUs, and how long this attempt waited for them (the step wrapper counts it in the node's usage). */
export type GpuHold = GpuAssignment & { waitedMs?: number };

export const gpuContext = new AsyncLocalStorage<GpuHold>();

/** GPUs assigned to the current step, or undefined when it holds none. */
export function currentGpus(): GpuHold | undefined {
  return gpuContext.getStore();
}
