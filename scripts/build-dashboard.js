#!/usr/bin/env node
// Builds the dashboard (dashboard/src → dashboard/dist) with esbuild: one ES module for the page,
// one script for the layout Web Worker, one stylesheet, and index.html. Runs as part of npm's
// postinstall (and `npm run build:ui`); everything comes from node_modules, so it works offline and
// the page loads nothing from a CDN. In a Docker layer that has only package.json and scripts/, the
// sources are not there yet: it says so and the Dockerfile runs it again after copying them (with
// TRAINYARD_STRICT_INSTALL=1, as in CI, missing sources are an error).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'dashboard', 'src');
const out = path.join(root, 'dashboard', 'dist');

function log(msg) {
  process.stderr.write(`[dashboard] ${msg}\n`);
}

async function main() {
  if (!fs.existsSync(path.join(src, 'main.tsx'))) {
    if (process.env.TRAINYARD_STRICT_INSTALL === '1') throw new Error(`no dashboard sources at ${src}`);
    log(`sources not here yet (${path.relative(root, src)}); skipped — run \`npm run build:ui\` once they are`);
    return;
  }
  const esbuild = require('esbuild');
  const t0 = Date.now();
  fs.rmSync(out, { recursive: true, force: true });
  const common = {
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: { app: path.join(src, 'main.tsx') },
      outdir: path.join(out, 'assets'),
      format: 'esm',
      // The YAML parser (submit page only) is a chunk of its own, loaded when needed.
      splitting: true,
      chunkNames: 'chunk-[hash]',
    }),
    esbuild.build({
      ...common,
      entryPoints: { 'layout-worker': path.join(src, 'layout-worker.ts') },
      outdir: path.join(out, 'assets'),
      format: 'iife',
    }),
  ]);
  fs.writeFileSync(
    path.join(out, 'index.html'),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trainyard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css">
<script type="module" src="/ui/assets/app.js"></script>
</head>
<body><div id="app"></div><noscript>The Trainyard dashboard needs JavaScript.</noscript></body>
</html>
`,
  );
  log(`built ${path.relative(root, out)} in ${Date.now() - t0} ms`);
}

main().catch((err) => {
  log(`build failed: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
