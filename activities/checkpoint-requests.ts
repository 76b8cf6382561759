// Checkpoint-now requests to running steps (a preemption notice: "checkpoint now, you will be
// stopped soon"). Each running command attempt registers how to ask its process; whoever handles
// the worker's notice calls requestAll and learns which steps answered with a checkpoint in time.
import type { ArtifactRef } from '../src/domain/step-io';

export interface CheckpointRequest {
  /** Why, shown to the step (e.g. "preemption"). */
  reason: string;
  /** When the step will be stopped (epoch ms); the step should report a checkpoint before then. */
  deadlineMs: number;
}

/** Asks one running step for a checkpoint; resolves with the checkpoint it reported, or undefined at the deadline. */
export type CheckpointHandler = (request: CheckpointRequest) => Promise<ArtifactRef | undefined>;

export interface CheckpointAnswer {
  /** `<jobId>/<nodeId>#<attempt>` */
  step: string;
  checkpoint?: ArtifactRef;
}

export class CheckpointRequests {
  private readonly running = new Map<string, CheckpointHandler>();

  /** Registers a running step; call the returned function when it ends. */
  register(attemptKey: string, handler: CheckpointHandler): () => void {
    this.running.set(attemptKey, handler);
    return () => {
      if (this.running.get(attemptKey) === handler) this.running.delete(attemptKey);
    };
  }

  get size(): number {
    return this.running.size;
  }

  /** Asks every running step at once and waits for each answer (or its deadline). */
  async requestAll(request: CheckpointRequest): Promise<CheckpointAnswer[]> {
    const asks = [...this.running.entries()];
    return Promise.all(asks.map(async ([step, ask]) => ({ step, checkpoint: await ask(request) })));
  }
}
