// How the CLI shows a job's failure (status, watch): each failed node, the first line of its cause,
// where it failed and a command's last stderr lines.
import type { JobFailure } from '../domain/progress';

const STDERR_LINES = 10;

export function failureLines(f: JobFailure): string[] {
  const lines = [`failed: ${f.message}`];
  for (const n of f.nodes) {
    const where = n.where
      ? ` (attempt ${n.where.attempt ?? '?'}${n.where.worker ? ` on ${n.where.worker}` : ''}${n.where.taskQueue ? `, queue ${n.where.taskQueue}` : ''})`
      : '';
    lines.push(`  ${n.id} [${n.type}${n.errorType ? `, ${n.errorType}` : ''}]${where}: ${n.message}`);
    const tail = (n.stderrTail ?? []).slice(-STDERR_LINES);
    if (tail.length) {
      lines.push(`    last ${tail.length} line(s) of stderr:`);
      for (const l of tail) lines.push(`    | ${l}`);
    }
  }
  if (f.failedCount > f.nodes.length) lines.push(`  … and ${f.failedCount - f.nodes.length} more failed node(s)`);
  return lines;
}
