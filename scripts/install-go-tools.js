#!/usr/bin/env node
// Installs Go-built tools (deploy/go-tools.json: name → module@version → binary) into a cache that
// outlives checkouts: ~/.cache/trainyard/tools/<name>-<version>/<binary> (TRAINYARD_TOOLS_DIR moves
// it). A tool already there is used as is, so a second install is instant; CI can cache the folder.
// Builds with `go install module@version` (GOBIN = a fresh folder, renamed into place when the build
// succeeded, so an interrupted build never leaves a half-written tool).
//
//   node scripts/install-go-tools.js                      # every tool in deploy/go-tools.json
//   node scripts/install-go-tools.js temporal-server      # some of them
//   node scripts/install-go-tools.js --path temporal-server   # print the binary's path (exit 1 if not installed)
//   node scripts/install-go-tools.js --json ...           # one JSON object {name: {path, version, builtSeconds}}
//
// From code: const { install, toolPath } = require('./scripts/install-go-tools.js').
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MANIFEST = path.resolve(__dirname, '..', 'deploy', 'go-tools.json');

function log(msg) {
  process.stderr.write(`[go-tools] ${msg}\n`);
}

/** The tool table: { name: { module, version, binary, note? } }. */
function loadManifest(file = MANIFEST) {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  const tools = {};
  for (const [name, t] of Object.entries(raw)) {
    if (name.startsWith('$')) continue;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`${file}: tool name "${name}" must be kebab-case`);
    for (const field of ['module', 'version', 'binary'])
      if (typeof t[field] !== 'string' || !t[field])
        throw new Error(`${file}: ${name}.${field} must be a non-empty string`);
    if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(t.version))
      throw new Error(`${file}: ${name}.version "${t.version}" must be an exact version (vX.Y.Z or a pseudo-version)`);
    tools[name] = { module: t.module, version: t.version, binary: t.binary };
  }
  return tools;
}

function cacheRoot(env = process.env) {
  return path.resolve(env.TRAINYARD_TOOLS_DIR || path.join(os.homedir(), '.cache', 'trainyard', 'tools'));
}

function toolDir(name, tool, env = process.env) {
  return path.join(cacheRoot(env), `${name}-${tool.version}`);
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The installed binary of a tool, or undefined. */
function toolPath(name, opts = {}) {
  const tools = opts.tools || loadManifest();
  const tool = tools[name];
  if (!tool) throw new Error(`unknown tool "${name}" (deploy/go-tools.json has ${Object.keys(tools).join(', ')})`);
  const p = path.join(toolDir(name, tool, opts.env), tool.binary);
  return isExecutable(p) ? p : undefined;
}

function goBinary(env) {
  if (env.GO) return env.GO;
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, 'go');
    if (isExecutable(p)) return p;
  }
  for (const p of ['/usr/local/go/bin/go', '/usr/lib/go/bin/go']) if (isExecutable(p)) return p;
  return undefined;
}

/** Installs one tool (or finds it cached). Returns { path, version, cached, builtSeconds }. */
function installOne(name, tool, env = process.env) {
  const dir = toolDir(name, tool, env);
  const bin = path.join(dir, tool.binary);
  if (isExecutable(bin)) {
    let builtSeconds;
    try {
      builtSeconds = JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8')).seconds;
    } catch {
      /* a copied-in cache without the stamp is fine */
    }
    return { path: bin, version: tool.version, cached: true, builtSeconds };
  }
  const go = goBinary(env);
  if (!go)
    throw new Error(
      `${name}: no Go toolchain found (looked for GO, go on PATH, /usr/local/go/bin/go); install Go or copy a built ${tool.binary} into ${dir}`,
    );
  fs.mkdirSync(cacheRoot(env), { recursive: true });
  const staging = fs.mkdtempSync(path.join(cacheRoot(env), `.${name}-${tool.version}-`));
  fs.chmodSync(staging, 0o755); // mkdtemp makes it 0700; the cache may be shared
  const logFile = path.join(cacheRoot(env), `${name}-${tool.version}.build.log`);
  const target = `${tool.module}@${tool.version}`;
  log(`${name}: go install ${target} (log: ${logFile}) …`);
  const started = Date.now();
  const out = fs.openSync(logFile, 'w');
  // GOFLAGS=-mod=mod matches how the machine's prebuild ran, so the Go build cache is shared.
  const r = spawnSync(go, ['install', target], {
    stdio: ['ignore', out, out],
    env: { ...env, GOBIN: staging, GOFLAGS: env.GOFLAGS || '-mod=mod' },
    timeout: 60 * 60_000,
  });
  fs.closeSync(out);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const built = path.join(staging, tool.binary);
  if (r.status !== 0 || !isExecutable(built)) {
    fs.rmSync(staging, { recursive: true, force: true });
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `${name}: go install ${target} failed (${r.error ? r.error.message : `exit ${r.status}`}) after ${seconds} s:\n${tail}`,
    );
  }
  fs.writeFileSync(
    path.join(staging, 'build.json'),
    JSON.stringify({ module: tool.module, version: tool.version, seconds, go: go, at: new Date().toISOString() }) +
      '\n',
  );
  try {
    fs.renameSync(staging, dir);
  } catch (err) {
    // Another install finished first: keep theirs.
    fs.rmSync(staging, { recursive: true, force: true });
    if (!isExecutable(bin)) throw err;
  }
  log(`${name}: built in ${seconds} s → ${bin}`);
  return { path: bin, version: tool.version, cached: false, builtSeconds: seconds };
}

/** Installs the named tools (default: all). Returns { name: result }. */
function install(names, opts = {}) {
  const tools = opts.tools || loadManifest();
  const wanted = names && names.length ? names : Object.keys(tools);
  const results = {};
  for (const name of wanted) {
    const tool = tools[name];
    if (!tool) throw new Error(`unknown tool "${name}" (deploy/go-tools.json has ${Object.keys(tools).join(', ')})`);
    results[name] = installOne(name, tool, opts.env || process.env);
  }
  return results;
}

function main(argv) {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  if (args[0] === '--path') {
    if (!args[1]) throw new Error('--path needs a tool name');
    const p = toolPath(args[1]);
    if (!p) {
      log(`${args[1]} is not installed; run: node scripts/install-go-tools.js ${args[1]}`);
      return 1;
    }
    process.stdout.write(`${p}\n`);
    return 0;
  }
  if (args.some((a) => a.startsWith('-'))) throw new Error(`unknown option ${args.find((a) => a.startsWith('-'))}`);
  const results = install(args);
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
  else
    for (const [name, r] of Object.entries(results))
      log(
        `${name} ${r.version}: ${r.path} (${r.cached ? 'cached' : 'built'}${r.builtSeconds !== undefined ? `; build took ${r.builtSeconds} s` : ''})`,
      );
  return 0;
}

module.exports = { loadManifest, cacheRoot, toolDir, toolPath, install, MANIFEST };

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (err) {
    log(err.message);
    process.exit(1);
  }
}
