// Node types and their per-type config schemas. Sandbox-safe (zod only).
// Context-dependent rules (command allowlist, data root, pools) live in validate.ts.
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

export const NODE_TYPES = [
  'dataset',
  'split',
  'preprocess',
  'train',
  'evaluate',
  'export',
  'visualize',
  'command',
  'select',
] as const;
export const NodeType = cachedSchema('src/domain/node-types#NodeType', () => z.enum(NODE_TYPES));
export type NodeType = z.infer<typeof NodeType>;

/** A relative path that cannot escape its root: no "..", no absolute path, no NUL. */
export const RelativePath = cachedSchema('src/domain/node-types#RelativePath', () =>
  z
    .string()
    .min(1)
    .max(512)
    .refine(
      (p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p) && !p.split(/[\\/]/).includes('..') && !p.includes('\0'),
      {
        message: 'must be a relative path inside its root (no "..", no absolute path)',
      },
    ),
);

export const BUILTIN_DATASETS = ['iris', 'breast_cancer', 'diabetes', 'penguins', 'cars', 'wine'] as const;
export const BuiltinDataset = cachedSchema('src/domain/node-types#BuiltinDataset', () => z.enum(BUILTIN_DATASETS));
export type BuiltinDataset = z.infer<typeof BuiltinDataset>;

/** What each built-in sample is: its file under data/samples/, target column and task. */
export const BUILTIN_DATASET_INFO = {
  iris: { file: 'iris.csv', target: 'species', task: 'classification' },
  breast_cancer: { file: 'breast_cancer.csv', target: 'diagnosis', task: 'classification' },
  diabetes: { file: 'diabetes.csv', target: 'target', task: 'regression' },
  penguins: { file: 'penguins.csv', target: 'Species', task: 'classification' },
  cars: { file: 'cars.csv', target: 'Miles_per_Gallon', task: 'regression' },
  wine: { file: 'wine.csv', target: 'class', task: 'classification' },
} as const satisfies Record<
  BuiltinDataset,
  { file: string; target: string; task: 'classification' | 'regression' | 'clustering' }
>;

export const DatasetConfig = cachedSchema('src/domain/node-types#DatasetConfig', () =>
  z
    .strictObject({
      /** A built-in sample shipped with Trainyard. */
      name: BuiltinDataset.optional(),
      /** Or a CSV/JSON file under the configured data root (TRAINYARD_DATA_ROOT). */
      path: RelativePath.optional(),
      format: z.enum(['csv', 'json']).optional(),
      /** Target column (required for files; built-ins know theirs). */
      target: z.string().min(1).max(128).optional(),
      task: z.enum(['classification', 'regression', 'clustering']).optional(),
    })
    .refine((c) => (c.name === undefined) !== (c.path === undefined), {
      message: 'give exactly one of "name" (built-in) or "path" (file)',
    }),
);
export type DatasetConfig = z.infer<typeof DatasetConfig>;

export const SplitConfig = cachedSchema('src/domain/node-types#SplitConfig', () =>
  z.strictObject({
    testSize: z.number().min(0.1).max(0.5).default(0.2),
    randomState: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    stratify: z.boolean().default(true),
  }),
);
export type SplitConfig = z.infer<typeof SplitConfig>;

export const PreprocessConfig = cachedSchema('src/domain/node-types#PreprocessConfig', () =>
  z.strictObject({
    scale: z.enum(['standard', 'minmax', 'none']).default('standard'),
    impute: z.enum(['mean', 'median', 'most_frequent', 'none']).default('mean'),
    /** Categorical columns to one-hot encode; "auto" = every non-numeric feature column. */
    oneHot: z.union([z.literal('auto'), z.array(z.string().min(1).max(128)).max(1000)]).default('auto'),
    dropColumns: z.array(z.string().min(1).max(128)).max(1000).default([]),
  }),
);
export type PreprocessConfig = z.infer<typeof PreprocessConfig>;

export const MODEL_KINDS = ['logistic_regression', 'mlp', 'linear_regression', 'mlp_regressor', 'kmeans'] as const;
export const TrainConfig = cachedSchema('src/domain/node-types#TrainConfig', () =>
  z.strictObject({
    model: z.enum(MODEL_KINDS).default('mlp'),
    hiddenLayers: z.array(z.number().int().min(1).max(4096)).max(8).default([32]),
    epochs: z.number().int().min(1).max(100_000).default(100),
    learningRate: z.number().positive().max(10).default(0.01),
    batchSize: z.number().int().min(1).max(65_536).default(32),
    /** L2 weight decay (added to the weight gradients). 0.01 keeps the default MLP from over-fitting small tabular sets. */
    l2: z.number().min(0).max(10).default(0.01),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    /** Checkpoint weights + optimizer state every N epochs. */
    checkpointEvery: z.number().int().min(1).max(100_000).default(10),
    /** k for k-means. */
    clusters: z.number().int().min(2).max(1000).optional(),
    /** Slows each epoch down (ms); for demos and fault tests of long training. */
    epochDelayMs: z.number().int().min(0).max(60_000).default(0),
    /** Share of the training rows held out (deterministically, by seed) for the per-epoch valMetric; 0 = report it on the training rows. */
    validationFraction: z.number().min(0).max(0.5).default(0.1),
  }),
);
export type TrainConfig = z.infer<typeof TrainConfig>;

export const EvaluateConfig = cachedSchema('src/domain/node-types#EvaluateConfig', () =>
  z.strictObject({
    /** Evaluate the exported ONNX file when an export node is upstream (default), else convert on the fly. */
    preferOnnx: z.boolean().default(true),
  }),
);
export type EvaluateConfig = z.infer<typeof EvaluateConfig>;

export const ExportConfig = cachedSchema('src/domain/node-types#ExportConfig', () =>
  z.strictObject({
    opset: z.number().int().min(13).max(17).default(13),
    parityTolerance: z.number().positive().max(1).default(1e-4),
    latencyRuns: z.number().int().min(1).max(10_000).default(200),
  }),
);
export type ExportConfig = z.infer<typeof ExportConfig>;

/** `metrics`: the metrics history of each upstream command node (every numeric key it reported). */
export const PLOT_KINDS = ['loss', 'confusion', 'roc', 'pred_vs_actual', 'metrics'] as const;
export const VisualizeConfig = cachedSchema('src/domain/node-types#VisualizeConfig', () =>
  z.strictObject({
    /** Which plots; default: every plot that applies to the task. */
    plots: z.array(z.enum(PLOT_KINDS)).max(PLOT_KINDS.length).optional(),
  }),
);
export type VisualizeConfig = z.infer<typeof VisualizeConfig>;

/** `none`: the step has its own empty network namespace (loopback only); `host`: the host's network. */
export const StepNetwork = cachedSchema('src/domain/node-types#StepNetwork', () => z.enum(['none', 'host']));
export type StepNetwork = z.infer<typeof StepNetwork>;

const EnvName = cachedSchema('src/domain/node-types#EnvName', () =>
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
    .max(128),
);
export const CommandConfig = cachedSchema('src/domain/node-types#CommandConfig', () =>
  z.strictObject({
    /** argv array — never a shell string. argv[0] must be on the worker's allowlist. */
    command: z.array(z.string().max(8192)).min(1).max(1024),
    env: z.record(EnvName, z.string().max(8192)).default({}),
    /** Working directory, relative to the job's folder. */
    cwd: RelativePath.optional(),
    nonRetryableExitCodes: z.array(z.number().int().min(1).max(255)).max(255).default([]),
    /** Grace period between SIGTERM and SIGKILL on cancellation. */
    killGraceMs: z.number().int().min(0).max(600_000).default(5000),
    /**
     * The node's config file for the program (a template node's `config`): written into the node's
     * folder as config.yaml / config.json; `{config}` in `command` or `env` is its path.
     */
    configFile: z.record(z.string().max(128), z.unknown()).optional(),
    configFormat: z.enum(['yaml', 'json']).default('yaml'),
    /**
     * The step's network, chosen by the operator: set only from a step template's `network`
     * (validation refuses it on a plain command node). Unset = the worker's TRAINYARD_STEP_NETWORK.
     */
    network: StepNetwork.optional(),
  }),
);
export type CommandConfig = z.infer<typeof CommandConfig>;

/**
 * The built-in `select` step: picks the best of its upstream nodes (a sweep's trials, or their
 * per-trial evaluations) by `metric`, and writes a leaderboard of every one (src/domain/select.ts).
 */
export const SelectConfig = cachedSchema('src/domain/node-types#SelectConfig', () =>
  z.strictObject({
    /**
     * What to rank by: a key of an upstream output's `summary.metrics` (evaluate: accuracy, f1, r2…)
     * or `summary.result` (command steps), or train's `valMetric` (also by its name, e.g. "accuracy").
     */
    metric: z.string().min(1).max(128),
    mode: z.enum(['max', 'min']),
  }),
);
export type SelectConfig = z.infer<typeof SelectConfig>;

/** Per-type config schema table. */
export const NODE_CONFIG_SCHEMAS = {
  dataset: DatasetConfig,
  split: SplitConfig,
  preprocess: PreprocessConfig,
  train: TrainConfig,
  evaluate: EvaluateConfig,
  export: ExportConfig,
  visualize: VisualizeConfig,
  command: CommandConfig,
  select: SelectConfig,
} satisfies Record<NodeType, z.ZodType>;

export interface NodeConfigs {
  dataset: DatasetConfig;
  split: SplitConfig;
  preprocess: PreprocessConfig;
  train: TrainConfig;
  evaluate: EvaluateConfig;
  export: ExportConfig;
  visualize: VisualizeConfig;
  command: CommandConfig;
  select: SelectConfig;
}
