// The local storage boundary over a test folder: artifacts (object store + log sink) under `root`,
// node workspaces under `<root>/.trainyard-work` (a reserved name, never listed as an artifact).
import path from 'node:path';
import { localStorage, type Storage } from '../../src/storage';

export interface TestStorage extends Storage {
  root: string;
  /** The local file of a key (what the local object store keeps there). */
  file(key: string): string;
  /** The local file of a node's log. */
  logFile(jobDir: string, nodeId: string): string;
}

export function testStorage(root: string): TestStorage {
  const s = localStorage(root, path.join(root, '.trainyard-work'));
  return {
    ...s,
    root,
    file: (key) => path.join(root, ...key.split('/')),
    logFile: (jobDir, nodeId) => path.join(root, ...jobDir.split('/'), nodeId, 'logs', 'output.log'),
  };
}
