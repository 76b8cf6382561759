// `trainyard cache ls | purge [--older-than 7d]`: the caller's step cache entries (src/storage/step-cache.ts).
import Table from 'cli-table3';
import type { Command } from 'commander';
import { api, type CliEnv } from './http';

interface Io {
  out: (s: string) => void;
}

export function addCacheCommands(program: Command, env: CliEnv, io: Io): void {
  const cache = program.command('cache').description('your step cache: what it holds, and purging it');
  cache
    .command('ls')
    .option('--json', 'print JSON')
    .description('every entry: key, step type, the job and node that stored it, when, size')
    .action(async (o: { json?: boolean }) => {
      const r = await api(env, (c) => c.cacheEntries());
      if (o.json) return io.out(JSON.stringify(r, null, 2));
      if (!r.entries.length) return io.out('the cache is empty');
      const t = new Table({
        head: ['key', 'type', 'job', 'node', 'stored', 'expires', 'version', 'files', 'bytes'],
        style: { head: [], border: [] },
      });
      for (const e of r.entries)
        t.push([
          e.key.slice(0, 12),
          e.nodeType,
          e.jobId,
          e.nodeId,
          e.storedAt,
          e.expiresAt ?? '',
          e.version,
          e.artifacts,
          e.bytes,
        ]);
      io.out(t.toString());
    });
  cache
    .command('purge')
    .option('--older-than <duration>', 'only entries stored longer ago than this (e.g. 7d, 12h)')
    .description('remove entries (all, or the older ones) and the objects no remaining entry names')
    .action(async (o: { olderThan?: string }) => {
      const r = await api(env, (c) => c.purgeCache(o.olderThan !== undefined ? { olderThan: o.olderThan } : {}));
      io.out(`purged ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} and ${r.objects} object(s)`);
    });
}
