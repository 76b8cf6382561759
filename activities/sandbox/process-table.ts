// The host's process table, read from /proc: which processes descend from a sandbox's bwrap and
// what they use (resident memory, CPU time). One scan serves every running step of the worker
// (at most one per `minIntervalMs`).
import fs from 'node:fs/promises';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Resident set, bytes. */
  rssBytes: number;
  /** utime + stime + cutime + cstime, seconds (its own CPU and that of the children it reaped). */
  cpuSeconds: number;
  /** Start time since boot, in clock ticks (orders siblings). */
  start: number;
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux architecture Node runs on
const PAGE_BYTES = 4096;

/** /proc/<pid>/stat → its fields (the command name in parentheses may hold spaces). */
export function parseStat(pid: number, text: string): ProcInfo | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // f[0] is field 3 (state): field n is f[n - 3].
  const num = (n: number) => Number(f[n - 3]);
  if (f.length < 22) return undefined;
  return {
    pid,
    ppid: num(4),
    rssBytes: num(24) * PAGE_BYTES,
    cpuSeconds: (num(14) + num(15) + num(16) + num(17)) / CLOCK_TICKS,
    start: num(22),
  };
}

export async function readProc(pid: number): Promise<ProcInfo | undefined> {
  try {
    return parseStat(pid, await fs.readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export class ProcessTable {
  private last: { at: number; procs: Map<number, ProcInfo> } | undefined;
  private scanning: Promise<Map<number, ProcInfo>> | undefined;

  constructor(private readonly minIntervalMs = 200) {}

  /** Every process, at most `minIntervalMs` old. */
  async snapshot(): Promise<Map<number, ProcInfo>> {
    if (this.last && Date.now() - this.last.at < this.minIntervalMs) return this.last.procs;
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scan(): Promise<Map<number, ProcInfo>> {
    const names = await fs.readdir('/proc');
    const procs = new Map<number, ProcInfo>();
    await Promise.all(
      names
        .filter((n) => /^\d+$/.test(n))
        .map(async (n) => {
          const p = await readProc(Number(n));
          if (p) procs.set(p.pid, p);
        }),
    );
    this.last = { at: Date.now(), procs };
    return procs;
  }

  /** A fresh scan (for killing: nothing started since the last one may be missed). */
  async fresh(): Promise<Map<number, ProcInfo>> {
    this.last = undefined;
    return this.snapshot();
  }
}

/** The processes below `root` (not `root` itself), parents before children. */
export function descendants(procs: Map<number, ProcInfo>, root: number): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}
