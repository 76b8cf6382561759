// The allowlist, resolved once when the worker starts: every TRAINYARD_ALLOWED_COMMANDS entry
// becomes absolute paths (names are looked up in TRAINYARD_COMMAND_PATH, never in a step's PATH),
// with the folders each executable needs to run (its installation prefix, a venv and its base
// interpreter) for the sandbox's read-only view. A step names a command by its name or its path;
// what runs is the path resolved here.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllowlistEntry } from '../../src/domain/allowlist';

export interface ResolvedCommand {
  /** The absolute path that runs. */
  path: string;
  /** Folders (read-only in the sandbox) the executable needs: its prefix, a venv, a base interpreter's prefix. */
  mounts: string[];
}

export interface ResolvedCommands {
  /** command[0] (a name or an absolute path) → what runs, or undefined when it is not allowed. */
  lookup(exe: string): ResolvedCommand | undefined;
  /** Every folder any allowed executable needs (the sandbox's static read-only view). */
  readonly mounts: string[];
  /** What a step may name, for messages. */
  readonly names: string[];
  /** The folders of the allowed executables, first on the sandbox's PATH. */
  readonly binDirs: string[];
}

/** Folders already in the sandbox's system view (no extra mount needed). */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The installation an executable belongs to: `<prefix>/bin/x` → `<prefix>`, otherwise its folder. */
function prefixOf(real: string): string {
  const dir = path.dirname(real);
  return path.basename(dir) === 'bin' ? path.dirname(dir) : dir;
}

function mountsFor(exe: string): string[] {
  const real = fs.realpathSync(exe);
  // `/bin/true` (a system executable under a top-level bin/) has the prefix `/`: already in the system view.
  return [...new Set([prefixOf(exe), prefixOf(real)])].filter(
    (m) => m !== '/' && !SYSTEM_DIRS.some((s) => under(m, s)),
  );
}

/** `home = /usr/bin` in a venv's pyvenv.cfg → the base interpreter's installation. */
function venvMounts(venv: string): string[] {
  const out = [venv];
  for (const name of ['python3', 'python']) {
    const p = path.join(venv, 'bin', name);
    if (fs.existsSync(p)) out.push(...mountsFor(p));
  }
  return [...new Set(out)].filter((m) => !SYSTEM_DIRS.some((s) => under(m, s)));
}

/**
 * Resolves the allowlist (throws naming the entry that is wrong). An entry that cannot be found
 * is an error: a worker must not start with an allowlist it cannot honour.
 */
export function resolveAllowlist(entries: readonly string[], commandPath: readonly string[]): ResolvedCommands {
  const byName = new Map<string, ResolvedCommand>();
  const byPath = new Map<string, ResolvedCommand>();
  const problems: string[] = [];
  const add = (name: string | undefined, cmd: ResolvedCommand) => {
    if (name !== undefined && !byName.has(name)) byName.set(name, cmd);
    if (!byPath.has(cmd.path)) byPath.set(cmd.path, cmd);
  };
  for (const raw of entries) {
    let entry;
    try {
      entry = parseAllowlistEntry(raw);
    } catch (err) {
      problems.push((err as Error).message);
      continue;
    }
    if (entry.kind === 'name') {
      const dir = commandPath.find((d) => isExecutableFile(path.join(d, entry.name)));
      if (dir === undefined) {
        problems.push(
          `TRAINYARD_ALLOWED_COMMANDS: "${raw}" is not an executable in TRAINYARD_COMMAND_PATH (${commandPath.join(':')})`,
        );
        continue;
      }
      const p = path.join(dir, entry.name);
      add(entry.name, { path: p, mounts: mountsFor(p) });
    } else if (entry.kind === 'path') {
      if (!isExecutableFile(entry.path)) {
        problems.push(`TRAINYARD_ALLOWED_COMMANDS: "${raw}" is not an executable file`);
        continue;
      }
      add(undefined, { path: entry.path, mounts: mountsFor(entry.path) });
    } else {
      const dir = entry.kind === 'dir' ? entry.dir : path.join(entry.venv, 'bin');
      let names: string[];
      try {
        names = fs.readdirSync(dir).sort();
      } catch {
        problems.push(`TRAINYARD_ALLOWED_COMMANDS: "${raw}": ${dir} is not a readable folder`);
        continue;
      }
      const mounts = entry.kind === 'venv' ? venvMounts(entry.venv) : [entry.dir];
      for (const n of names) {
        const p = path.join(dir, n);
        if (isExecutableFile(p)) add(n, { path: p, mounts });
      }
    }
  }
  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const all = [...byPath.values()];
  return {
    lookup: (exe) => (exe.startsWith('/') ? byPath.get(exe) : byName.get(exe)),
    mounts: [...new Set(all.flatMap((c) => c.mounts))].sort(),
    names: [...byName.keys(), ...[...byPath.keys()].filter((p) => ![...byName.values()].some((c) => c.path === p))],
    binDirs: [...new Set(all.map((c) => path.dirname(c.path)))],
  };
}
