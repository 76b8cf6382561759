// The storage boundary, composed: the object store, the log sink and the node workspaces for this
// process, from its configuration.
import path from 'node:path';
import type { Config } from '../config';
import { Artifacts } from './artifacts';
import { LocalLogSink } from './local-log-sink';
import { LocalObjectStore } from './local-object-store';
import { LocalNodeWorkspaces, type NodeWorkspaces } from './node-workspace';
import { ChunkedLogSink } from './chunked-log-sink';
import { S3ObjectStore } from './s3-object-store';

export interface Storage {
  artifacts: Artifacts;
  workspaces: NodeWorkspaces;
}

/** The embedded default: objects and logs under `root`, workspaces under `workDir`. */
export function localStorage(root: string, workDir = path.join(path.dirname(path.resolve(root)), 'work')): Storage {
  const objects = new LocalObjectStore(root);
  const artifacts = new Artifacts(objects, new LocalLogSink(objects));
  return { artifacts, workspaces: new LocalNodeWorkspaces(artifacts, workDir) };
}

/** An S3-compatible store: objects in the bucket, logs as chunk objects, workspaces under `workDir`. */
export function s3Storage(c: Extract<Config['artifactStore'], { kind: 's3' }>, workDir: string): Storage {
  const objects = new S3ObjectStore(c);
  const artifacts = new Artifacts(objects, new ChunkedLogSink(objects));
  return { artifacts, workspaces: new LocalNodeWorkspaces(artifacts, workDir) };
}

export function storageFromConfig(config: Config): Storage {
  const s = config.artifactStore;
  return s.kind === 's3' ? s3Storage(s, config.workDir) : localStorage(s.root, config.workDir);
}
