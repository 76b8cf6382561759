// What flows between the workflow and step activities. Only small summaries and artifact
// references cross the workflow boundary — never bulk data (history stays small).
import type { NodeType } from './node-types';

/** A reference to a stored artifact (model, dataset copy, metrics, plot, log). */
export interface ArtifactRef {
  /** Logical name within the node, e.g. "model.onnx". */
  name: string;
  /** Store URI, e.g. "file:///…/runs/<job>/<node>/model.onnx". */
  uri: string;
  /** Path relative to the artifact root: "runs/<jobId>/<nodeId>/model.onnx". */
  path: string;
  sha256: string;
  size: number;
  mediaType: string;
}

/** GPUs handed to a step by the GPU allocator. */
export interface GpuAssignment {
  /** Device indices as CUDA sees them; CUDA_VISIBLE_DEVICES = indices.join(','). */
  indices: number[];
  uuids: string[];
  simulated: boolean;
}

/** Input of every step activity. */
export interface StepInput<C = unknown> {
  jobId: string;
  nodeId: string;
  nodeType: NodeType;
  config: C;
  /** Outputs of the node's direct dependencies, by node id. */
  upstream: Record<string, StepOutput>;
  /** Job output folder, relative to the artifact root (from the spec's outputDir). */
  outputDir: string;
  resources: { gpus: number; gpuMemoryGb: number };
  /** GPU pool chosen at submit time (GPU queues only). */
  pool?: string;
  /** Job priority (1 highest … 5 lowest). */
  priority: number;
  /**
   * Checkpoint to continue from when the workflow restarts a node that was stopped by `pause now`
   * (a Temporal retry instead finds it in activityInfo().heartbeatDetails).
   */
  checkpoint?: ArtifactRef;
}

/** Output of every step activity: a small summary plus artifact references. */
export interface StepOutput {
  summary: Record<string, unknown>;
  artifacts: ArtifactRef[];
  /**
   * Named references a step carries forward for steps further down (e.g. train passes on the
   * split's "testData" so evaluate finds it through its direct parent). Merged from upstream.
   */
  refs?: Record<string, ArtifactRef>;
  /** Filled in by the step wrapper (activities/define-step.ts). */
  meta?: StepMeta;
}

/** Facts about the attempt that produced an output (or a failure, in its details). */
export interface StepMeta {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  worker?: string;
  taskQueue?: string;
  gpus?: number[];
}

/** Heartbeat details: live progress, and the checkpoint a retried attempt resumes from. */
export interface StepHeartbeat {
  phase?: 'waiting_for_gpu' | 'running' | 'checkpointing' | 'finishing';
  percent?: number;
  epoch?: number;
  epochs?: number;
  loss?: number;
  valMetric?: number;
  message?: string;
  metrics?: Record<string, number>;
  checkpoint?: ArtifactRef;
  gpus?: number[];
}
