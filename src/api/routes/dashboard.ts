// The dashboard: one static page (dashboard/dist/index.html, built at install time by
// scripts/build-dashboard.js from dashboard/src) for every /ui path, and its assets. Nothing is
// fetched from elsewhere: the Content-Security-Policy allows this origin only.
import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import type { ResolvedDeps } from '../deps';
import { HttpError } from '../errors';
import type { RouteHandlers } from '../route-table';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'Content-Security-Policy': CSP,
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export function dashboardHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'dashboard' | 'dashboardPage'> {
  const page = async () => {
    let html: string;
    try {
      html = await fs.promises.readFile(path.join(d.dashboardDir, 'index.html'), 'utf8');
    } catch {
      throw new HttpError(
        503,
        'dashboard_not_built',
        'the dashboard was not built: run `npm run build:ui` (npm install does it)',
      );
    }
    return { status: 200 as const, headers: PAGE_HEADERS, body: html };
  };
  return { dashboard: page, dashboardPage: page };
}

/** /ui/assets/*: the built scripts, styles and the layout worker. */
export function dashboardAssetsRouter(d: ResolvedDeps): Router {
  const r = Router();
  r.use(
    '/ui/assets',
    (_req, res, next) => {
      res.set({ 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': CSP });
      next();
    },
    express.static(path.join(d.dashboardDir, 'assets'), { index: false, fallthrough: false, maxAge: 0 }),
  );
  return r;
}
