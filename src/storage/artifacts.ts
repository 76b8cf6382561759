// Artifacts: the step-facing view of the storage boundary. A job's files live under its folder
// key (`StepInput.outputDir`, e.g. "runs/<jobId>"), a node's under `<jobDir>/<nodeId>/`; an
// ArtifactRef names one object by key, with the store URI, sha256, size and media type.
import type { ArtifactRef } from '../domain/step-io';
import type { LogSink } from './log-sink';
import { checkKey, type ListOptions, type ObjectInfo, type ObjectStore } from './object-store';

/** Names inside a node folder that belong to the log sink (never published over). */
export const NODE_LOG = 'logs/output.log';
export const NODE_METRICS = 'metrics.jsonl';

export class Artifacts {
  constructor(
    readonly objects: ObjectStore,
    readonly logs: LogSink,
  ) {}

  /** `<jobDir>/<nodeId>/<name>`, each part checked. */
  keyOf(jobDir: string, nodeId: string, name: string): string {
    return checkKey(`${checkKey(jobDir)}/${checkKey(nodeId)}/${checkKey(name)}`);
  }

  /** The ref of a stored object; `name` is its path inside the node folder. */
  refOf(info: ObjectInfo, name: string): ArtifactRef {
    return {
      name,
      uri: this.objects.uriOf(info.key),
      path: info.key,
      sha256: info.sha256,
      size: info.size,
      mediaType: info.mediaType,
    };
  }

  async put(
    jobDir: string,
    nodeId: string,
    name: string,
    data: Uint8Array | string,
    mediaType: string,
  ): Promise<ArtifactRef> {
    return this.refOf(await this.objects.put(this.keyOf(jobDir, nodeId, name), data, { mediaType }), name);
  }

  async putFile(jobDir: string, nodeId: string, name: string, src: string, mediaType: string): Promise<ArtifactRef> {
    return this.refOf(await this.objects.putFile(this.keyOf(jobDir, nodeId, name), src, { mediaType }), name);
  }

  /** An artifact's bytes, checked against the ref's sha256 (IntegrityError when they differ). */
  get(ref: ArtifactRef): Promise<Buffer> {
    return this.objects.get(ref.path, ref.sha256 || undefined);
  }

  /** One page of a job's artifacts, in key order; `name` is relative to the node folder. */
  async list(jobDir: string, opts: ListOptions = {}): Promise<{ refs: ArtifactRef[]; nextPageToken?: string }> {
    const prefix = `${checkKey(jobDir)}/`;
    const page = await this.objects.list(prefix, opts);
    return {
      refs: page.objects.map((o) => this.refOf(o, o.key.slice(prefix.length).split('/').slice(1).join('/'))),
      ...(page.nextPageToken && { nextPageToken: page.nextPageToken }),
    };
  }

  /** Every artifact of a job (all pages). */
  async listAll(jobDir: string): Promise<ArtifactRef[]> {
    const out: ArtifactRef[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.list(jobDir, { pageToken });
      out.push(...page.refs);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  logKey(jobDir: string, nodeId: string): string {
    return this.keyOf(jobDir, nodeId, NODE_LOG);
  }

  metricsKey(jobDir: string, nodeId: string): string {
    return this.keyOf(jobDir, nodeId, NODE_METRICS);
  }

  /** Seals a node's log as an object and returns its ref (undefined when the node wrote none). */
  async sealLog(jobDir: string, nodeId: string): Promise<ArtifactRef | undefined> {
    const info = await this.logs.seal(this.logKey(jobDir, nodeId), 'text/plain');
    return info && this.refOf(info, NODE_LOG);
  }
}
