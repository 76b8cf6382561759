// A root worker runs the sandbox as uid/gid 65534: the node's folders are handed to that user
// before the attempt (so it can write its own folder, and read its inputs whatever their modes)
// and back to the worker after, so nothing the step wrote stays owned by it.
import fs from 'node:fs/promises';
import path from 'node:path';

/** lchown of a folder and everything in it (links are not followed). */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  const walk = async (p: string): Promise<void> => {
    await fs.lchown(p, uid, gid).catch(() => undefined);
    let entries;
    try {
      entries = await fs.readdir(p, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = path.join(p, e.name);
      if (e.isDirectory()) await walk(child);
      else await fs.lchown(child, uid, gid).catch(() => undefined);
    }
  };
  await walk(root);
}

/** Bytes a folder holds on disk (allocated blocks), stopping early once past `stopAt`. */
export async function diskUsage(root: string, stopAt = Infinity): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(p, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (total > stopAt) return;
      const child = path.join(p, e.name);
      const st = await fs.lstat(child).catch(() => undefined);
      if (!st) continue;
      total += st.blocks * 512;
      if (st.isDirectory()) await walk(child);
    }
  };
  await walk(root);
  return total;
}
