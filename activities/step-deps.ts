// What the step activities need from the worker that hosts them.
import type { Artifacts } from '../src/storage/artifacts';
import type { CheckpointRequests } from './checkpoint-requests';

export interface StepDeps {
  /** The job's artifacts: the object store and the log sink (src/storage). */
  store: Artifacts;
  /** Folder that `dataset` nodes' `path` is confined to (TRAINYARD_DATA_ROOT). */
  dataRoot: string;
  /** true when onnxruntime has CUDA here */
  cudaAvailable?: boolean;
  /** Running steps register here for checkpoint-now requests (a GPU worker's preemption notice). */
  checkpointRequests?: CheckpointRequests;
}
