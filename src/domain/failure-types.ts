// The `type` of every ApplicationFailure Trainyard raises. Sandbox-safe. These strings are part of
// recorded histories and of users' `retry.nonRetryableErrors`: never rename a value.
export const FAILURE_TYPES = {
  /** An activity input (or a node's config) failed its schema; never retried. */
  InvalidInput: 'TrainyardInvalidInput',
  /** The job spec in the snapshot is invalid (the workflow re-validates it). */
  InvalidSpec: 'TrainyardInvalidSpec',
  /** A snapshot passed by reference is missing from the store or does not match its sha256. */
  SnapshotUnavailable: 'TrainyardSnapshotUnavailable',
  /** Continue-as-new state that does not parse. */
  BadCarriedState: 'TrainyardBadCarriedState',
  /** The job ended failed (its failed nodes are named in the message). */
  JobFailed: 'TrainyardJobFailed',
  /** A built-in step found no upstream artifact of a kind it needs. */
  MissingInput: 'TrainyardMissingInput',
  /** A built-in step found several upstream artifacts of a kind it needs exactly one of. */
  AmbiguousInput: 'TrainyardAmbiguousInput',
  /** Data a step cannot work with (wrong columns, empty split, unparsable artifact …). */
  InvalidData: 'TrainyardInvalidData',
  /** Training produced NaN/Inf. */
  Diverged: 'TrainyardDiverged',
  /** The exported ONNX model disagrees with the trained one. */
  OnnxParity: 'TrainyardOnnxParity',
  /** No GPU of this worker can ever serve the request. */
  GpuRequestUnsatisfiable: 'GpuRequestUnsatisfiable',
  CommandNotAllowed: 'CommandNotAllowed',
  CommandScriptsDirMissing: 'CommandScriptsDirMissing',
  CommandScriptsEscape: 'CommandScriptsEscape',
  CommandPlaceholder: 'CommandPlaceholder',
  CommandNotFound: 'CommandNotFound',
  CommandSpawnFailed: 'CommandSpawnFailed',
  /** The command exited with a code listed in nonRetryableExitCodes. */
  CommandExitNonRetryable: 'CommandExitNonRetryable',
  /** The command exited non-zero (retried per the node's policy). */
  CommandFailed: 'CommandFailed',
  /** Too few items of a foreach (or trials of a sweep) completed for its minSuccessRatio. */
  MinSuccessRatio: 'TrainyardMinSuccessRatio',
  /** Not a failure: the `error.type` of a sweep trial stopped early (status `stopped`), saying what it lost to. */
  StoppedEarly: 'TrainyardStoppedEarly',
  /** An artifact's content does not match the sha256 of the ref that names it (corrupt or replaced). */
  ArtifactIntegrity: 'TrainyardArtifactIntegrity',
  /** A ref names an object the store does not have. */
  ArtifactMissing: 'TrainyardArtifactMissing',
  /** A ref or output path that is not a plain key inside the store (.., absolute, a symlink). */
  ArtifactPath: 'TrainyardArtifactPath',
  /** A workflow input, update or activity result whose payload could not be decoded (src/domain/payload-guard.ts). */
  UndecodablePayload: 'TrainyardUndecodablePayload',
  /** A step's output, failure or a workflow input is over one of Temporal's payload limits (src/domain/payload-limits.ts). */
  PayloadTooLarge: 'TrainyardPayloadTooLarge',
  /** A command step went over one of its resource limits (memory, processes, open files, file size, CPU time, disk); never retried. */
  StepLimitExceeded: 'TrainyardStepLimitExceeded',
  /** A command node asked for more than the deployment's maximum of a limit (TRAINYARD_STEP_LIMITS_MAX). */
  StepLimitTooHigh: 'TrainyardStepLimitTooHigh',
  /** A command's stdout/stderr line or TRAINYARD_RESULT is over its cap. */
  OutputTooLarge: 'TrainyardOutputTooLarge',
} as const;
export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];
