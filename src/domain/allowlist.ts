// TRAINYARD_ALLOWED_COMMANDS entries, as validation reads them (workers resolve them to absolute
// paths at start: activities/sandbox/executables.ts). An entry is a command name looked up in
// TRAINYARD_COMMAND_PATH (`python3`), an absolute path (`/opt/trainer/bin/train`), `dir:<folder>`
// (every executable directly in it) or `venv:<folder>` (a Python virtual environment's bin/).
// Sandbox-safe: string work only.

export type AllowlistEntry =
  | { kind: 'name'; name: string }
  | { kind: 'path'; path: string }
  | { kind: 'dir'; dir: string }
  | { kind: 'venv'; venv: string };

/** One entry of TRAINYARD_ALLOWED_COMMANDS (throws naming what is wrong). */
export function parseAllowlistEntry(entry: string): AllowlistEntry {
  const folder = (prefix: string) => {
    const p = entry.slice(prefix.length).replace(/\/+$/, '');
    if (!p.startsWith('/') || p.split('/').includes('..'))
      throw new Error(`TRAINYARD_ALLOWED_COMMANDS: "${entry}": ${prefix} needs an absolute folder without ".."`);
    return p;
  };
  if (entry.startsWith('dir:')) return { kind: 'dir', dir: folder('dir:') };
  if (entry.startsWith('venv:')) return { kind: 'venv', venv: folder('venv:') };
  if (entry.startsWith('/')) {
    if (entry.split('/').includes('..') || entry.endsWith('/'))
      throw new Error(`TRAINYARD_ALLOWED_COMMANDS: "${entry}" is not a plain absolute path to an executable`);
    return { kind: 'path', path: entry };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(entry))
    throw new Error(
      `TRAINYARD_ALLOWED_COMMANDS: "${entry}" is not a command name, an absolute path, dir:<folder> or venv:<folder>`,
    );
  return { kind: 'name', name: entry };
}

function folderOf(p: string): string {
  return p.slice(0, p.lastIndexOf('/'));
}

/**
 * Whether a node's command[0] may be on this allowlist, as far as validation can tell without the
 * workers' file system: a listed name or path, a path directly in a `dir:` / `venv:` bin folder,
 * or a plain name when a `dir:`/`venv:` entry might hold it (the worker decides).
 */
export function allowlistMayAdmit(entries: readonly string[], exe: string): boolean {
  if (entries.includes(exe)) return true;
  const parsed = entries.flatMap((e) => {
    try {
      return [parseAllowlistEntry(e)];
    } catch {
      return [];
    }
  });
  const folders = parsed.flatMap((e) => (e.kind === 'dir' ? [e.dir] : e.kind === 'venv' ? [`${e.venv}/bin`] : []));
  if (exe.startsWith('/')) return !exe.split('/').includes('..') && folders.includes(folderOf(exe));
  return folders.length > 0 && /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(exe);
}
