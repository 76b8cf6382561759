// The model card written next to model.onnx.
import type { OnnxTensorInfo } from './onnx/build';
import type { LatencyStats } from './onnx/runtime';
import type { PreprocessorParams } from './preprocess';

export interface ModelCard {
  name: string;
  createdAt: string;
  model: { kind: string; task: string; classes?: string[] };
  format: { type: 'onnx'; opset: number; irVersion: number; ops: string[]; file: string; sha256: string; size: number };
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** How to build the input vector from a raw record. */
  inputEncoding: {
    columns: PreprocessorParams['inputColumns'];
    missing: string;
    excluded: PreprocessorParams['excluded'];
  };
  preprocessing: { impute: string; scale: string; encodedFeatures: string[]; foldedIntoGraph: true };
  metrics: Record<string, number>;
  parity: {
    output: string;
    rows: number;
    maxAbsDiff: number;
    maxScaledDiff: number;
    tolerance: number;
    labelAgreement?: number;
    passed: boolean;
  };
  latency: LatencyStats[];
  executionProvider: 'cuda' | 'cpu';
  training: Record<string, unknown>;
  data: { datasetSha256?: string; sourceSha256?: string; trainFeaturesSha256: string; testRows: number };
}
