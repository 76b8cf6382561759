// Who holds a TCP port (Linux: /proc/net/tcp{,6} → socket inode → /proc/<pid>/fd), and whether it
// is a Temporal dev server that a previous `npm start` of the same state folder left behind (the
// stack was SIGKILLed, so nobody stopped its server).
import fs from 'node:fs';
import path from 'node:path';

export interface PortHolder {
  pid: number;
  /** Its command line, arguments joined by spaces. */
  command: string;
  argv: string[];
}

const LISTEN = '0A';

/** Inodes of the sockets listening on `port` (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      const local = f[1]!;
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/**
 * The process listening on `port`, when this host tells (Linux /proc, a process of the same user).
 * Undefined when it cannot be found out.
 */
export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (!m || !inodes.has(m[1]!)) continue;
      let argv: string[] = [];
      try {
        argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      } catch {
        // exited meanwhile
      }
      return { pid: Number(pid), argv, command: argv.join(' ') };
    }
  }
  return undefined;
}

/** True when the holder is a `temporal server start-dev` on this SQLite file (our own server for this state folder). */
export function isOurDevServer(holder: PortHolder, dbFile: string): boolean {
  const a = holder.argv;
  const i = a.indexOf('--db-filename');
  return (
    a.includes('server') &&
    a.includes('start-dev') &&
    i >= 0 &&
    a[i + 1] !== undefined &&
    path.resolve(a[i + 1]!) === path.resolve(dbFile)
  );
}

/** Describes a port's holder for an error message. */
export function describeHolder(holder: PortHolder | undefined): string {
  if (!holder) return 'by a process this user cannot see (try `ss -ltnp` or `lsof -i`)';
  const cmd = holder.command.length > 200 ? `${holder.command.slice(0, 199)}…` : holder.command;
  return `by pid ${holder.pid} (${cmd || 'command unknown'})`;
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive()) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
