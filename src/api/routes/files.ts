// A job's files: node logs (with follow) and artifacts (list and download), confined to the job's
// folder under the artifact root.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { mediaTypeFor, PathEscapeError } from '../../artifacts/local-store';
import type { ResolvedDeps } from '../deps';
import { ApiError } from '../errors';
import { STATUS_REUSE_MS } from '../job-watcher';
import { parseWith, principalOf, scopeOf } from '../parse';
import { ArtifactParams, JobIdParams, LogsQuery } from '../schemas';

const ACTIVE = new Set(['pending', 'queued', 'running', 'retrying', 'paused']);
const FOLLOW_POLL_MS = 250;

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '' ? 1 : 0;
  return lines.slice(Math.max(0, lines.length - trailing - n)).join('\n');
}

export function filesRouter(d: ResolvedDeps): Router {
  const r = Router();

  r.get('/v1/jobs/:id/logs', async (req: Request, res: Response) => {
    const p = principalOf(res);
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    const qy = parseWith(LogsQuery, req.query, 'query');
    const view = await d.trainyard.getJobStatus(id, scopeOf(p), { maxAgeMs: STATUS_REUSE_MS });
    if (!view.nodes.some((n) => n.id === qy.node)) throw new ApiError(404, 'node_not_found', `job ${id} has no node ${JSON.stringify(qy.node)}`, [{ path: 'query.node', message: 'no such node' }]);
    const jobDir = await d.trainyard.jobDir(id);
    const file = d.store.logPath(jobDir, qy.node);
    let offset = 0;
    const readNew = async (): Promise<string> => {
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(file, 'r');
      } catch {
        return '';
      }
      try {
        const { size } = await fh.stat();
        if (size < offset) offset = 0; // truncated / replaced by a retried attempt
        if (size === offset) return '';
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        return buf.toString('utf8');
      } finally {
        await fh.close();
      }
    };
    if (!qy.follow) {
      if (!fs.existsSync(file)) throw new ApiError(404, 'log_not_found', `node ${qy.node} has no log yet`);
      const text = await readNew();
      res.type('text/plain; charset=utf-8').send(qy.tail ? lastLines(text, qy.tail) : text);
      return;
    }
    res.status(200).set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    let closed = false;
    req.on('close', () => {
      closed = true;
    });
    const first = await readNew();
    if (first) res.write(qy.tail ? lastLines(first, qy.tail) : first);
    let lastCheck = Date.now();
    let nodeActive = ACTIVE.has(view.nodes.find((n) => n.id === qy.node)!.status);
    while (!closed) {
      const chunk = await readNew();
      if (chunk) res.write(chunk);
      if (!nodeActive) break;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      if (Date.now() - lastCheck >= 1000) {
        lastCheck = Date.now();
        try {
          const v = await d.trainyard.getJobStatus(id, {}, { maxAgeMs: STATUS_REUSE_MS });
          const n = v.nodes.find((x) => x.id === qy.node);
          nodeActive = !!n && ACTIVE.has(n.status) && !['completed', 'failed', 'cancelled'].includes(v.status);
        } catch {
          /* keep following; Temporal may come back */
        }
      }
    }
    if (!closed) res.end();
  });

  r.get('/v1/jobs/:id/artifacts', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    const jobDir = await d.trainyard.jobDir(id, scopeOf(p));
    const refs = await d.store.list(jobDir);
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
    res.json({ artifacts });
  });

  r.get('/v1/jobs/:id/artifacts/*path', async (req, res) => {
    const p = principalOf(res);
    const segs = (req.params as unknown as { path: string[] | string }).path;
    const rel = Array.isArray(segs) ? segs.join('/') : String(segs);
    const { id } = parseWith(ArtifactParams, { id: req.params.id, path: rel }, 'params', 'invalid_path');
    if (rel.split('/').some((s) => s === '' || s === '.' || s === '..') || rel.includes('\0') || rel.includes('\\')) {
      throw new ApiError(400, 'invalid_path', 'artifact path must be a plain relative path inside the job folder', [{ path: 'params.path', message: 'invalid' }]);
    }
    const jobDir = await d.trainyard.jobDir(id, scopeOf(p));
    let abs: string;
    let jobAbs: string;
    try {
      jobAbs = d.store.resolve(jobDir);
      abs = d.store.resolve(`${jobDir}/${rel}`);
    } catch (err) {
      if (err instanceof PathEscapeError) throw new ApiError(400, 'invalid_path', 'artifact path leaves the job folder', [{ path: 'params.path', message: 'invalid' }]);
      throw err;
    }
    const inside = path.relative(jobAbs, abs);
    if (inside.startsWith('..') || path.isAbsolute(inside)) throw new ApiError(400, 'invalid_path', 'artifact path leaves the job folder');
    const stat = await fsp.stat(abs).catch(() => undefined);
    if (!stat || !stat.isFile() || path.basename(abs).includes('.tmp-')) throw new ApiError(404, 'artifact_not_found', `no artifact ${JSON.stringify(rel)} in job ${id}`);
    res.status(200).set({
      'Content-Type': mediaTypeFor(abs),
      'Content-Length': String(stat.size),
      'Content-Disposition': `attachment; filename="${path.basename(abs).replace(/[^\w.-]/g, '_')}"`,
      'X-Content-Type-Options': 'nosniff',
    });
    const stream = fs.createReadStream(abs);
    stream.on('error', (err) => res.destroy(err));
    stream.pipe(res);
  });

  return r;
}
