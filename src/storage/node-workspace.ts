// The node workspace: a plain local folder for one step on whatever host runs it. Inputs are
// materialised from refs (downloaded and sha256-checked), checkpoints are uploaded as the step
// reports them (in the background, newest wins), and when the step succeeds its outputs are
// published to the store. Publishing copies regular files only and never follows a link: a symlink
// in the workspace is skipped, so nothing outside the workspace can become an artifact.
//
// Layout on the host (TRAINYARD_WORK_DIR, default <home>/work):
//   <workRoot>/<jobDir>/                 the job's scratch folder on this host (TRAINYARD_JOB_DIR)
//   <workRoot>/<jobDir>/<nodeId>/        the node's folder (JOB_OUTPUT_DIR): read-write for the step
//   <workRoot>/.inputs/<jobDir>/<nodeId>/<key>   materialised inputs and the resume checkpoint
// A retry on the same host finds the node folder as the failed attempt left it; on another host it
// starts empty (with the resume checkpoint downloaded). A successful publish removes both folders.
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactRef } from '../domain/step-io';
import { NODE_LOG, NODE_METRICS, type Artifacts } from './artifacts';
import { mediaTypeFor } from './media-types';
import { InvalidKeyError, RESERVED_PREFIX, checkKey } from './object-store';

export interface NodeWorkspace {
  /** The node's local folder (JOB_OUTPUT_DIR). */
  readonly outputDir: string;
  /** The job's scratch folder on this host (TRAINYARD_JOB_DIR); a command's `cwd` resolves under it. */
  readonly jobDir: string;
  /** Where materialised inputs live (outside the node folder, so they are not published back). */
  readonly inputsDir: string;
  /** Downloads a ref into the inputs folder (sha256-checked) and returns its local path. */
  materialise(ref: ArtifactRef): Promise<string>;
  /**
   * Uploads a file the step reported as a checkpoint (relative to outputDir), in the background:
   * resolves with its ref once stored, or undefined when a newer report superseded it, or when the
   * file does not exist / leaves the node folder.
   */
  uploadCheckpoint(relPath: string): Promise<ArtifactRef | undefined>;
  /** Waits for checkpoint uploads still running. */
  flush(): Promise<void>;
  /** Publishes every regular file of the node folder to the store (the step succeeded). */
  publish(): Promise<ArtifactRef[]>;
  /** Removes the local folders (after a successful publish). */
  dispose(): Promise<void>;
}

export interface NodeWorkspaces {
  open(input: { outputDir: string; nodeId: string }): Promise<NodeWorkspace>;
}

const PUBLISH_CONCURRENCY = 4;

/** Workspaces on this host over any ObjectStore (local or S3): the store is what differs. */
export class LocalNodeWorkspaces implements NodeWorkspaces {
  readonly root: string;
  constructor(
    private readonly artifacts: Artifacts,
    root: string,
  ) {
    this.root = path.resolve(root);
  }

  async open(input: { outputDir: string; nodeId: string }): Promise<NodeWorkspace> {
    const jobKey = checkKey(input.outputDir, 'outputDir');
    const nodeId = checkKey(input.nodeId, 'nodeId');
    if (nodeId.includes('/')) throw new InvalidKeyError(`nodeId ${nodeId} contains "/"`);
    const jobDir = path.join(this.root, ...jobKey.split('/'));
    const ws = new Workspace(
      this.artifacts,
      jobKey,
      nodeId,
      jobDir,
      path.join(jobDir, nodeId),
      path.join(this.root, `${RESERVED_PREFIX}inputs`, ...jobKey.split('/'), nodeId),
    );
    await fs.mkdir(ws.outputDir, { recursive: true });
    await fs.mkdir(ws.inputsDir, { recursive: true });
    return ws;
  }
}

interface Uploaded {
  size: number;
  mtimeMs: number;
  ref: ArtifactRef;
}

class Workspace implements NodeWorkspace {
  private readonly uploaded = new Map<string, Uploaded>();
  private running: Promise<void> = Promise.resolve();
  private pending:
    { rel: string; resolve: (r: ArtifactRef | undefined) => void; reject: (err: Error) => void } | undefined;
  private busy = false;

  constructor(
    private readonly artifacts: Artifacts,
    private readonly jobKey: string,
    private readonly nodeId: string,
    readonly jobDir: string,
    readonly outputDir: string,
    readonly inputsDir: string,
  ) {}

  async materialise(ref: ArtifactRef): Promise<string> {
    const dest = path.join(this.inputsDir, ...checkKey(ref.path).split('/'));
    await this.artifacts.objects.download(ref.path, dest, ref.sha256 || undefined);
    return dest;
  }

  /** A relative path inside the node folder reached through real folders only, or undefined. */
  private async localFile(rel: string): Promise<{ abs: string; size: number; mtimeMs: number } | undefined> {
    let key: string;
    try {
      key = checkKey(rel.replace(/^\.\//, ''));
    } catch {
      return undefined;
    }
    let p = this.outputDir;
    const segs = key.split('/');
    for (let i = 0; i < segs.length; i++) {
      p = path.join(p, segs[i]!);
      const st = await fs.lstat(p).catch(() => undefined);
      if (!st || st.isSymbolicLink()) return undefined;
      if (i === segs.length - 1) return st.isFile() ? { abs: p, size: st.size, mtimeMs: st.mtimeMs } : undefined;
      if (!st.isDirectory()) return undefined;
    }
    return undefined;
  }

  private async upload(rel: string): Promise<ArtifactRef | undefined> {
    const file = await this.localFile(rel);
    if (!file) return undefined;
    const name = checkKey(rel.replace(/^\.\//, ''));
    const ref = await this.artifacts.putFile(this.jobKey, this.nodeId, name, file.abs, mediaTypeFor(name));
    this.uploaded.set(name, { size: file.size, mtimeMs: file.mtimeMs, ref });
    return ref;
  }

  uploadCheckpoint(relPath: string): Promise<ArtifactRef | undefined> {
    return new Promise((resolve, reject) => {
      // Newest wins: a report that arrives while one uploads replaces any report still waiting.
      this.pending?.resolve(undefined);
      this.pending = { rel: relPath, resolve, reject };
      if (this.busy) return;
      this.busy = true;
      const drain = async (): Promise<void> => {
        while (this.pending) {
          const job = this.pending;
          this.pending = undefined;
          try {
            job.resolve(await this.upload(job.rel));
          } catch (err) {
            job.reject(err as Error);
          }
        }
        this.busy = false;
      };
      this.running = this.running.then(drain);
    });
  }

  async flush(): Promise<void> {
    await this.running;
  }

  async publish(): Promise<ArtifactRef[]> {
    await this.flush();
    const files: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith(RESERVED_PREFIX) || e.name.startsWith('.trainyard')) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        // Dirents come from lstat: a symlink is neither a file nor a folder here, so it is skipped.
        if (e.isDirectory()) await walk(path.join(dir, e.name), r);
        else if (e.isFile() && r !== NODE_LOG && r !== NODE_METRICS) files.push(r);
      }
    };
    await walk(this.outputDir, '');
    files.sort();
    const refs: ArtifactRef[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const rel = files[next++]!;
        const file = await this.localFile(rel);
        if (!file) continue;
        const prev = this.uploaded.get(rel);
        if (prev && prev.size === file.size && prev.mtimeMs === file.mtimeMs) {
          refs.push(prev.ref);
          continue;
        }
        const ref = await this.upload(rel);
        if (ref) refs.push(ref);
      }
    };
    await Promise.all(Array.from({ length: PUBLISH_CONCURRENCY }, worker));
    return refs.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async dispose(): Promise<void> {
    await fs.rm(this.outputDir, { recursive: true, force: true });
    await fs.rm(this.inputsDir, { recursive: true, force: true });
  }
}
