// A root worker runs the sandbox as uid/gid 65534: the node's folders are handed to that user
// before the attempt (so it can write its own folder, and read its inputs whatever their modes)
// and back to the worker after, so nothing the step wrote stays owned by it.
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Every entry below `root`, a folder before what it holds, links never followed (a link is visited,
 * not entered); a folder that cannot be read is passed over. `visit` returning false ends the walk.
 */
async function walkTree(root: string, visit: (p: string, entry: Dirent) => Promise<boolean | void>): Promise<void> {
  const walk = async (dir: string): Promise<boolean> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return true;
    }
    for (const e of entries) {
      const child = path.join(dir, e.name);
      if ((await visit(child, e)) === false) return false;
      if (e.isDirectory() && !(await walk(child))) return false;
    }
    return true;
  };
  await walk(root);
}

/** lchown of a folder and everything in it (links are not followed). */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  await fs.lchown(root, uid, gid).catch(() => undefined);
  await walkTree(root, (p) => fs.lchown(p, uid, gid).catch(() => undefined));
}

/** Bytes a folder holds on disk (allocated blocks), stopping early once past `stopAt`. */
export async function diskUsage(root: string, stopAt = Infinity): Promise<number> {
  let total = 0;
  await walkTree(root, async (p) => {
    if (total > stopAt) return false;
    const st = await fs.lstat(p).catch(() => undefined);
    if (st) total += st.blocks * 512;
  });
  return total;
}
