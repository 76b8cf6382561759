// Where steps keep their outputs. Activities pass ArtifactRefs through the workflow, never data.
// Implementations: LocalArtifactStore (local-store.ts). S3-compatible stores can come later behind
// this same interface.
import type { ArtifactRef } from '../domain/step-io';

export interface ArtifactStore {
  /** Absolute root folder (local store) or bucket URI. */
  readonly root: string;
  /**
   * Writes one artifact atomically (temp file + rename): a retried attempt never sees a half-written
   * file. `jobDir` is the job folder relative to the root (StepInput.outputDir, e.g. "runs/<jobId>").
   */
  put(jobDir: string, nodeId: string, name: string, data: Uint8Array | string, mediaType: string): Promise<ArtifactRef>;
  /** Moves/copies an existing local file in atomically (e.g. a file a subprocess wrote). */
  putFile(jobDir: string, nodeId: string, name: string, srcPath: string, mediaType: string): Promise<ArtifactRef>;
  /** Reads an artifact back; verifies its sha256 when the ref carries one. */
  get(ref: ArtifactRef | string): Promise<Buffer>;
  /** Every artifact under a job folder (for the API's artifact listing). */
  list(jobDir: string): Promise<ArtifactRef[]>;
  /** Absolute local path of a node's working folder (created), confined under the job folder. */
  nodeDir(jobDir: string, nodeId: string): Promise<string>;
  /** Absolute path of a node's persisted stdout/stderr log (`<jobDir>/<nodeId>/logs/output.log`). */
  logPath(jobDir: string, nodeId: string): string;
  /** Absolute local path for a root-relative path; throws when it would escape the root (.., absolute, symlink). */
  resolve(relPath: string): string;
}
