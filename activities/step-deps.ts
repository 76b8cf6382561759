// What the step activities need from the worker that hosts them.
import type { ArtifactStore } from '../src/artifacts/artifact-store';

export interface StepDeps {
  store: ArtifactStore;
  /** Folder that `dataset` nodes' `path` is confined to (TRAINYARD_DATA_ROOT). */
  dataRoot: string;
  /** true when onnxruntime has CUDA here */
  cudaAvailable?: boolean;
}
