// A job's files: node logs (with follow) and artifacts (list and download), read through the
// storage boundary (src/storage) and confined to the job's own folder: a key is always
// `<jobDir>/<relative path>` with every segment checked, and the stores never follow a symlink.
import path from 'node:path';
import type { Response } from 'express';
import { ACTIVE_NODE_STATUSES, TERMINAL_JOB_STATUSES } from '../../domain/statuses';
import { followLog, type LogSink } from '../../storage/log-sink';
import { InvalidKeyError, ObjectNotFoundError, checkKey, decodePageToken } from '../../storage/object-store';
import { InvalidPageTokenError } from '../../job-service/page-token';
import type { ResolvedDeps } from '../deps';
import { HttpError } from '../errors';
import { scopeOf } from '../parse';
import { STREAMED, type RouteHandlers } from '../route-table';

const FOLLOW_POLL_MS = 250;
/** At most this much of a log's end is read to find its last N lines. */
const TAIL_MAX_BYTES = 8 << 20;
/** Logs are read (backwards for a tail, forwards otherwise) this much at a time. */
const TAIL_BLOCK = 64 << 10;
const STREAM_BLOCK = 1 << 20;
const NL = 0x0a;

/**
 * Where the last `n` lines of a log of `size` bytes start, reading backwards a block at a time and
 * never more than TAIL_MAX_BYTES: the answer to `tail=n` is a byte range, not a string of the file.
 */
async function tailStart(logs: LogSink, key: string, size: number, n: number): Promise<number> {
  let from = size;
  let newlines = 0;
  let trailing: boolean | undefined;
  while (from > 0 && size - from < TAIL_MAX_BYTES) {
    const len = Math.min(TAIL_BLOCK, from);
    const chunk = await logs.read(key, from - len, len);
    if (!chunk || chunk.data.length === 0) break;
    const b = chunk.data;
    let end = b.length;
    if (trailing === undefined) {
      // A final newline ends the last line; it does not start another.
      trailing = b[b.length - 1] === NL;
      if (trailing) end--;
    }
    for (let i = end - 1; i >= 0; i--) if (b[i] === NL && ++newlines >= n) return from - len + i + 1;
    from -= len;
  }
  return from;
}

/** Writes bytes `from`…`to` of a log to `res` a block at a time, waiting for the client to take each. */
async function pipeLog(
  logs: LogSink,
  key: string,
  from: number,
  to: number,
  res: Response,
  signal: AbortSignal,
): Promise<number> {
  let at = from;
  while (at < to && !signal.aborted) {
    const chunk = await logs.read(key, at, Math.min(STREAM_BLOCK, to - at));
    if (!chunk || chunk.data.length === 0) break;
    at = chunk.next;
    if (!res.write(chunk.data)) await drained(res, signal);
  }
  return at;
}

/** Resolves when `res` can take more (or the client went away). */
function drained(res: Response, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function artifactKey(jobDir: string, rel: string): string {
  try {
    return checkKey(`${jobDir}/${checkKey(rel, 'params.path')}`);
  } catch (err) {
    if (err instanceof InvalidKeyError)
      throw new HttpError(400, 'invalid_path', 'artifact path must be a plain relative path inside the job folder', [
        { path: 'params.path', message: 'invalid' },
      ]);
    throw err;
  }
}

export function fileHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'getLogs' | 'listArtifacts' | 'getArtifact'> {
  return {
    getLogs: async ({ principal, params, query: qy, req, res }) => {
      const { id } = params;
      const view = await d.trainyard.getJobStatus(id, scopeOf(principal), { maxAgeMs: d.statusReuseMs });
      if (!view.nodes.some((n) => n.id === qy.node))
        throw new HttpError(404, 'node_not_found', `job ${id} has no node ${JSON.stringify(qy.node)}`, [
          { path: 'query.node', message: 'no such node' },
        ]);
      const jobDir = await d.trainyard.jobDir(id);
      const key = d.store.logKey(jobDir, qy.node);
      const logs = d.store.logs;
      const size = await logs.size(key).catch((err: unknown) => {
        if (err instanceof InvalidKeyError) return undefined; // a link planted in the tree: no log
        throw err;
      });
      if (!qy.follow && size === undefined) throw new HttpError(404, 'log_not_found', `node ${qy.node} has no log yet`);
      res
        .status(200)
        .set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
      const closed = new AbortController();
      req.on('close', () => closed.abort());
      // Streamed from where the answer starts (the whole log, or its last `tail` lines) to its size now.
      let offset = 0;
      if (size !== undefined) {
        try {
          const from = qy.tail ? await tailStart(logs, key, size, qy.tail) : 0;
          offset = await pipeLog(logs, key, from, size, res, closed.signal);
        } catch (err) {
          // The log became a link while it was read: what was sent was the node's own; no more.
          if (!(err instanceof InvalidKeyError)) throw err;
          if (!closed.signal.aborted) res.end();
          return STREAMED;
        }
      }
      if (!qy.follow) {
        if (!closed.signal.aborted) res.end();
        return STREAMED;
      }
      res.flushHeaders();
      let lastCheck = Date.now();
      let nodeActive = ACTIVE_NODE_STATUSES.has(view.nodes.find((n) => n.id === qy.node)!.status);
      const keepGoing = async (): Promise<boolean> => {
        if (!nodeActive) return false;
        if (Date.now() - lastCheck >= 1000) {
          lastCheck = Date.now();
          try {
            const v = await d.trainyard.getJobStatus(id, {}, { maxAgeMs: d.statusReuseMs });
            const n = v.nodes.find((x) => x.id === qy.node);
            nodeActive = !!n && ACTIVE_NODE_STATUSES.has(n.status) && !TERMINAL_JOB_STATUSES.has(v.status);
          } catch {
            /* keep following; Temporal may come back */
          }
        }
        return true;
      };
      try {
        for await (const chunk of followLog(logs, key, offset, {
          signal: closed.signal,
          pollMs: FOLLOW_POLL_MS,
          keepGoing,
        }))
          if (!res.write(chunk)) await drained(res, closed.signal);
      } catch (err) {
        if (!(err instanceof InvalidKeyError)) throw err;
      }
      if (!closed.signal.aborted) res.end();
      return STREAMED;
    },

    listArtifacts: async ({ principal, params, query }) => {
      const { id } = params;
      const jobDir = await d.trainyard.jobDir(id, scopeOf(principal));
      // A token is the last key of the previous page: it must name a key of this job's folder.
      if (query.pageToken !== undefined && !decodePageToken(query.pageToken)?.startsWith(`${jobDir}/`))
        throw new InvalidPageTokenError();
      let page;
      try {
        page = await d.store.list(jobDir, {
          limit: query.pageSize,
          ...(query.pageToken && { pageToken: query.pageToken }),
        });
      } catch (err) {
        if (err instanceof InvalidKeyError) throw new InvalidPageTokenError();
        throw err;
      }
      const refs = page.refs;
      const prefix = `${jobDir}/`;
      const artifacts = refs.map((a) => {
        const rel = a.path.startsWith(prefix) ? a.path.slice(prefix.length) : a.path;
        return {
          name: a.name,
          path: rel,
          node: rel.split('/')[0] ?? '',
          size: a.size,
          sha256: a.sha256,
          mediaType: a.mediaType,
          url: `/v1/jobs/${encodeURIComponent(id)}/artifacts/${rel.split('/').map(encodeURIComponent).join('/')}`,
        };
      });
      return { status: 200, body: { artifacts, ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) } };
    },

    getArtifact: async ({ principal, params, headers, res }) => {
      const { id, path: rel } = params;
      const jobDir = await d.trainyard.jobDir(id, scopeOf(principal));
      const key = artifactKey(jobDir, rel);
      const notFound = () =>
        new HttpError(404, 'artifact_not_found', `no artifact ${JSON.stringify(rel)} in job ${id}`);
      let opened;
      let range: { start: number; end: number } | undefined;
      try {
        if (headers.range !== undefined) {
          const info = await d.store.objects.stat(key);
          if (!info) throw notFound();
          range = byteRange(headers.range, info.size);
        }
        opened = await d.store.objects.openRead(key, range);
      } catch (err) {
        // A symlink planted anywhere in the job's folder reads as nothing there.
        if (err instanceof ObjectNotFoundError || err instanceof InvalidKeyError) throw notFound();
        throw err;
      }
      const { info, stream } = opened;
      res.status(range ? 206 : 200).set({
        'Content-Type': info.mediaType,
        'Content-Length': String(range ? range.end - range.start + 1 : info.size),
        ...(range && { 'Content-Range': `bytes ${range.start}-${range.end}/${info.size}` }),
        'Accept-Ranges': 'bytes',
        'Content-Disposition': `attachment; filename="${path.posix.basename(key).replace(/[^\w.-]/g, '_')}"`,
        'X-Content-Type-Options': 'nosniff',
        ETag: `"${info.sha256}"`,
      });
      stream.on('error', (err) => res.destroy(err));
      stream.pipe(res);
      return STREAMED;
    },
  };
}

/** The bytes a `Range: bytes=…` header (already checked by its schema) asks for of a file of `size` bytes. */
function byteRange(header: string, size: number): { start: number; end: number } {
  const [from, to] = header.slice('bytes='.length).split('-') as [string, string];
  const unsatisfiable = () =>
    new HttpError(416, 'range_not_satisfiable', `the range starts past the end of the file (${size} bytes)`, [
      { path: 'headers.range', message: `the file has ${size} bytes` },
    ]);
  if (from === '') {
    // The last N bytes.
    const n = Number(to);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(from);
  if (start >= size) throw unsatisfiable();
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (end < start) throw unsatisfiable();
  return { start, end };
}
