// The sandbox's folder walks (activities/sandbox/ownership.ts): handing a node's folder to the
// sandbox user and back, and measuring what a step's folder holds — neither ever follows a link.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chownTree, diskUsage } from '../../activities/sandbox/ownership';

let tmp: string;
let root: string;
let outside: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ownership-'));
  root = path.join(tmp, 'node');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'top.bin'), Buffer.alloc(64 * 1024, 1));
  fs.writeFileSync(path.join(root, 'a', 'b', 'deep.bin'), Buffer.alloc(128 * 1024, 1));
  fs.writeFileSync(path.join(outside, 'big.bin'), Buffer.alloc(1024 * 1024, 1));
  fs.symlinkSync(outside, path.join(root, 'a', 'to-outside'));
  fs.symlinkSync(path.join(outside, 'big.bin'), path.join(root, 'big-link'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const blocks = (p: string) => fs.lstatSync(p).blocks * 512;
const everything = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? [p, ...everything(p)] : [p];
  });

describe('diskUsage', () => {
  test('when a folder holds files in nested folders and links to bigger files outside, then it counts its own entries only', async () => {
    const want = everything(root).reduce((n, p) => n + blocks(p), 0);
    expect(want).toBeGreaterThanOrEqual(192 * 1024);
    expect(want).toBeLessThan(1024 * 1024);
    expect(await diskUsage(root)).toBe(want);
  });

  test('when the total passes stopAt, then the walk stops early: more than stopAt, less than the whole', async () => {
    const whole = await diskUsage(root);
    const got = await diskUsage(root, 1);
    expect(got).toBeGreaterThan(1);
    expect(got).toBeLessThan(whole);
  });

  test('when the folder does not exist, then 0', async () => {
    expect(await diskUsage(path.join(tmp, 'none'))).toBe(0);
  });
});

const asRoot = process.getuid?.() === 0 ? describe : describe.skip;
asRoot('chownTree', () => {
  test('when a folder is handed to another user, then it and everything in it change owner, and no link target does', async () => {
    await chownTree(root, 65534, 65534);
    for (const p of [root, ...everything(root)])
      expect({ p, uid: fs.lstatSync(p).uid, gid: fs.lstatSync(p).gid }).toEqual({ p, uid: 65534, gid: 65534 });
    expect(fs.statSync(outside).uid).toBe(0);
    expect(fs.statSync(path.join(outside, 'big.bin')).uid).toBe(0);
    await chownTree(root, 0, 0);
    for (const p of [root, ...everything(root)]) expect({ p, uid: fs.lstatSync(p).uid }).toEqual({ p, uid: 0 });
  });
});
