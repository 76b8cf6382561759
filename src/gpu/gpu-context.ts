// The GPUs held by the step running in the current async context. The GPU worker's allocation
// interceptor sets it around each activity; steps (the command runner) read it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { GpuAssignment } from '../domain/step-io';

export const gpuContext = new AsyncLocalStorage<GpuAssignment>();

/** GPUs assigned to the current step, or undefined when it holds none. */
export function currentGpus(): GpuAssignment | undefined {
  return gpuContext.getStore();
}
