// The step cache on the storage boundary: entries and content-addressed objects in the object
// store, so a hit works on any host sharing the store, local filesystem or S3 alike.
//
//   _cache/<owner>/entries/<key>.json   what the step returned (summary, artifact names + sha256)
//   _cache/<owner>/objects/<sha256>     each artifact's bytes, once, whoever produced them
//
// Scoped by owner: one owner's entries never serve another's jobs (their inputs may be private).
// A hit copies the objects into the new job's node folder, so the job's artifacts, listing, file
// routes and confinement work as for a step that ran, and stay valid when the source job's folder
// is removed. (Owners match OWNER_RE, which cannot start with "_": no owner's namespace is "_cache".)
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ArtifactRef, StepOutput } from '../domain/step-io';
import type { CacheEntryView, CacheOutcome, EffectiveCache } from '../domain/step-cache';
import { DatasetConfig } from '../domain/node-types';
import { canonicalJson } from '../sdk/spec-hash';
import { NODE_LOG, NODE_METRICS, type Artifacts } from './artifacts';
import { datasetSourceFile, fileSha256 } from './data-files';
import { checkKey } from './object-store';

export const CACHE_ROOT = '_cache';

/** Bump a step type's version when its implementation changes what it produces: old entries stop matching. */
export const STEP_IMPL_VERSIONS: Record<string, string> = {
  dataset: '1',
  split: '1',
  preprocess: '1',
  train: '1',
  evaluate: '1',
  export: '1',
  visualize: '1',
  command: '1',
  select: '1',
};

/**
 * Upstream artifacts that only report on a run (latency figures, timings, logs, progress): they
 * never enter a downstream key, so two runs of the same inputs give the same keys below them.
 */
export function reportOnly(name: string): boolean {
  return (
    name === NODE_LOG ||
    name === NODE_METRICS ||
    name.startsWith('logs/') ||
    name.startsWith('checkpoints/') ||
    name === 'model-card.json' ||
    name === 'profile.json' ||
    name === 'loss-history.json'
  );
}

/** What a key needs of an upstream output: each artifact's and ref's name and sha256 (a StepOutput, or a cache entry). */
export interface UpstreamFacts {
  artifacts: readonly { name: string; sha256: string }[];
  refs?: Record<string, { name: string; sha256: string }>;
}

/** Everything a key is made of (computed by the cache activity from the step's input). */
export interface CacheKeyParts {
  nodeType: string;
  version: string;
  config: unknown;
  params?: unknown;
  template?: string;
  /** For each direct parent: the sha256 of every artifact and ref it passes on (report-only ones left out). */
  upstream: Record<string, UpstreamFacts>;
  /** Bytes a step reads from outside the store (a dataset's source file): their sha256. */
  sources?: Record<string, string>;
  /** `select`: the candidates' ids, statuses and params (not their GPU time, which varies). */
  candidates?: unknown;
}

export function cacheKeyOf(p: CacheKeyParts): string {
  const upstream: Record<string, unknown> = {};
  for (const [id, out] of Object.entries(p.upstream)) {
    upstream[id] = {
      artifacts: out.artifacts.filter((a) => !reportOnly(a.name)).map((a) => [a.name, a.sha256]),
      refs: Object.fromEntries(
        Object.entries(out.refs ?? {})
          .filter(([, r]) => !reportOnly(r.name))
          .map(([k, r]) => [k, r.sha256]),
      ),
    };
  }
  const material = {
    v: 1,
    nodeType: p.nodeType,
    impl: STEP_IMPL_VERSIONS[p.nodeType] ?? '0',
    version: p.version,
    config: p.config,
    params: p.params,
    template: p.template,
    upstream,
    sources: p.sources,
    candidates: p.candidates,
  };
  return createHash('sha256').update(canonicalJson(material), 'utf8').digest('hex');
}

/** A node as its key sees it: the step input the workflow builds (or, for the plan, the spec and upstream entries). */
export interface KeyInput {
  nodeType: string;
  config: unknown;
  params?: unknown;
  /** A command node's step template. */
  template?: string;
  upstream: Record<string, UpstreamFacts>;
  /** `select`: its candidates (ids, statuses and params enter the key). */
  candidates?: readonly { nodeId: string; status: string; params?: unknown }[];
}

/**
 * A node's key: step type + implementation version + cache version + canonical config (+ params and
 * template) + the sha256 of every upstream artifact (+ a dataset's source file, read under
 * `dataRoot`). One computation for the cache activity and the plan's prediction.
 */
export async function stepCacheKey(i: KeyInput, version: string, dataRoot: string): Promise<string> {
  let sources: Record<string, string> | undefined;
  if (i.nodeType === 'dataset') {
    const cfg = DatasetConfig.parse(i.config);
    sources = { data: await fileSha256(datasetSourceFile(cfg, dataRoot)) };
  }
  return cacheKeyOf({
    nodeType: i.nodeType,
    version,
    config: i.config,
    params: i.params,
    template: i.template,
    upstream: i.upstream,
    sources,
    candidates: i.candidates?.map((c) => ({ nodeId: c.nodeId, status: c.status, params: c.params })),
  });
}

/** What a live entry holds, without copying anything (the plan's prediction). */
export interface EntryFacts extends UpstreamFacts {
  jobId: string;
  nodeId: string;
  storedAt: string;
}

interface StoredRef {
  name: string;
  sha256: string;
  size: number;
  mediaType: string;
}

/** An entry as stored (JSON). */
interface StoredEntry {
  key: string;
  nodeType: string;
  version: string;
  jobId: string;
  nodeId: string;
  storedAt: string;
  expiresAt?: string;
  summary: Record<string, unknown>;
  artifacts: StoredRef[];
  refs: Record<string, StoredRef>;
}

const ENTRY_MEDIA = 'application/json';

export class StepCache {
  constructor(
    readonly store: Artifacts,
    private readonly now: () => number = Date.now,
  ) {}

  private entryKey(owner: string, key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key}`);
    return checkKey(`${CACHE_ROOT}/${checkKey(owner)}/entries/${key}.json`);
  }

  private objectKey(owner: string, sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return checkKey(`${CACHE_ROOT}/${checkKey(owner)}/objects/${sha256}`);
  }

  private async read(owner: string, key: string): Promise<StoredEntry | undefined> {
    const ek = this.entryKey(owner, key);
    if (!(await this.store.objects.stat(ek))) return undefined;
    try {
      return JSON.parse((await this.store.objects.get(ek)).toString('utf8')) as StoredEntry;
    } catch {
      return undefined;
    }
  }

  /** Copies one stored object into place (temp file: both stores stream it). */
  private async copy(fromKey: string, toKey: string, sha256: string, mediaType: string) {
    const tmp = path.join(os.tmpdir(), `trainyard-cache-${randomUUID()}`);
    try {
      await this.store.objects.download(fromKey, tmp, sha256);
      return await this.store.objects.putFile(toKey, tmp, { mediaType });
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  private async keep(owner: string, ref: ArtifactRef): Promise<StoredRef> {
    const ok = this.objectKey(owner, ref.sha256);
    const there = await this.store.objects.stat(ok);
    if (!there || there.sha256 !== ref.sha256) await this.copy(ref.path, ok, ref.sha256, ref.mediaType);
    return { name: ref.name, sha256: ref.sha256, size: ref.size, mediaType: ref.mediaType };
  }

  /**
   * Stores a step's output under `key`: its artifacts and refs as content-addressed objects (each
   * once), then the entry (so a reader never sees an entry whose objects are missing).
   */
  async put(
    o: { owner: string; key: string; cache: EffectiveCache; jobId: string; nodeId: string; nodeType: string },
    output: StepOutput,
  ): Promise<void> {
    const artifacts: StoredRef[] = [];
    for (const a of output.artifacts)
      if (a.name !== NODE_LOG && a.name !== NODE_METRICS) artifacts.push(await this.keep(o.owner, a));
    const refs: Record<string, StoredRef> = {};
    for (const [k, r] of Object.entries(output.refs ?? {})) refs[k] = await this.keep(o.owner, r);
    const at = this.now();
    const entry: StoredEntry = {
      key: o.key,
      nodeType: o.nodeType,
      version: o.cache.version,
      jobId: o.jobId,
      nodeId: o.nodeId,
      storedAt: new Date(at).toISOString(),
      ...(o.cache.ttlMs !== undefined && { expiresAt: new Date(at + o.cache.ttlMs).toISOString() }),
      summary: output.summary,
      artifacts,
      refs,
    };
    await this.store.objects.put(this.entryKey(o.owner, o.key), JSON.stringify(entry), { mediaType: ENTRY_MEDIA });
  }

  /**
   * A hit: the entry's output with its artifacts copied into `<jobDir>/<nodeId>/` (refs that an
   * upstream of this job already holds point there; the others are copied under `refs/`).
   * Undefined on a miss: no entry, expired, or an object gone (purged).
   */
  async get(o: {
    owner: string;
    key: string;
    jobDir: string;
    nodeId: string;
    upstream: Record<string, StepOutput>;
  }): Promise<StepOutput | undefined> {
    const e = await this.live(o.owner, o.key);
    if (!e) return undefined;
    const place = async (r: StoredRef, name: string): Promise<ArtifactRef> => {
      const info = await this.copy(
        this.objectKey(o.owner, r.sha256),
        this.store.keyOf(o.jobDir, o.nodeId, name),
        r.sha256,
        r.mediaType,
      );
      return this.store.refOf(info, r.name);
    };
    const held = new Map<string, ArtifactRef>();
    for (const out of Object.values(o.upstream))
      for (const a of [...out.artifacts, ...Object.values(out.refs ?? {})]) held.set(a.sha256, a);
    const artifacts: ArtifactRef[] = [];
    for (const a of e.artifacts) artifacts.push(await place(a, a.name));
    const refs: Record<string, ArtifactRef> = {};
    for (const [k, r] of Object.entries(e.refs)) {
      const mine = artifacts.find((a) => a.sha256 === r.sha256) ?? held.get(r.sha256);
      refs[k] = mine ? { ...mine, name: r.name } : await place(r, `refs/${k}/${r.name}`);
    }
    const cache: CacheOutcome = {
      key: o.key,
      hit: true,
      from: { jobId: e.jobId, nodeId: e.nodeId, storedAt: e.storedAt },
    };
    return { summary: e.summary, artifacts, ...(Object.keys(refs).length && { refs }), cache };
  }

  /** The entry under `key` when it would serve a hit now: present, not expired, every object still there. */
  private async live(owner: string, key: string): Promise<StoredEntry | undefined> {
    const e = await this.read(owner, key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && Date.parse(e.expiresAt) <= this.now()) return undefined;
    for (const r of [...e.artifacts, ...Object.values(e.refs)])
      if (!(await this.store.objects.stat(this.objectKey(owner, r.sha256)))) return undefined;
    return e;
  }

  /** What a lookup of `key` would hit now (its source and artifacts' sha256s), copying nothing. */
  async peek(owner: string, key: string): Promise<EntryFacts | undefined> {
    const e = await this.live(owner, key);
    return e && { jobId: e.jobId, nodeId: e.nodeId, storedAt: e.storedAt, artifacts: e.artifacts, refs: e.refs };
  }

  /** An owner's entries, oldest first. */
  async list(owner: string): Promise<CacheEntryView[]> {
    const prefix = `${CACHE_ROOT}/${checkKey(owner)}/entries/`;
    const out: CacheEntryView[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.store.objects.list(prefix, { pageToken });
      for (const obj of page.objects) {
        const key = obj.key.slice(prefix.length).replace(/\.json$/, '');
        const e = await this.read(owner, key).catch(() => undefined);
        if (!e) continue;
        out.push({
          key,
          nodeType: e.nodeType,
          jobId: e.jobId,
          nodeId: e.nodeId,
          storedAt: e.storedAt,
          ...(e.expiresAt !== undefined && { expiresAt: e.expiresAt }),
          version: e.version,
          artifacts: e.artifacts.length,
          bytes: e.artifacts.reduce((s, a) => s + a.size, 0),
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out.sort((a, b) => a.storedAt.localeCompare(b.storedAt) || a.key.localeCompare(b.key));
  }

  /**
   * Removes an owner's entries (all, or those stored before `olderThanMs` ago, or expired), then
   * every object no remaining entry names. Jobs that already hit keep their own copies.
   */
  async purge(owner: string, opts: { olderThanMs?: number } = {}): Promise<{ entries: number; objects: number }> {
    const cutoff = opts.olderThanMs === undefined ? Infinity : this.now() - opts.olderThanMs;
    let entries = 0;
    const live = new Set<string>();
    for (const v of await this.list(owner)) {
      const expired = v.expiresAt !== undefined && Date.parse(v.expiresAt) <= this.now();
      if (expired || Date.parse(v.storedAt) < cutoff) {
        await this.store.objects.delete(this.entryKey(owner, v.key));
        entries++;
        continue;
      }
      const e = await this.read(owner, v.key);
      for (const r of [...(e?.artifacts ?? []), ...Object.values(e?.refs ?? {})]) live.add(r.sha256);
    }
    let objects = 0;
    const prefix = `${CACHE_ROOT}/${checkKey(owner)}/objects/`;
    const gone: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.store.objects.list(prefix, { pageToken });
      for (const obj of page.objects) if (!live.has(obj.key.slice(prefix.length))) gone.push(obj.key);
      pageToken = page.nextPageToken;
    } while (pageToken);
    for (const k of gone) {
      await this.store.objects.delete(k);
      objects++;
    }
    return { entries, objects };
  }
}
