// How a job's failure is shown to clients (API view, stream, CLI): failed nodes with the first line
// of each cause and a command's last stderr lines; never a stack trace, and no server paths. Pure.
import type { FailedNodeSummary, JobFailure, NodeError, NodeState } from './progress';

const MAX_LISTED = 10;
const STDERR_LINES = 10;
const LINE_MAX = 500;

export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > LINE_MAX ? `${line.slice(0, LINE_MAX - 1)}…` : line;
}

/** Replaces each of the server's root folders in a text by a placeholder (longest first). */
export function redactPaths(text: string, roots: readonly { path: string; as: string }[]): string {
  let out = text;
  for (const r of [...roots].filter((x) => x.path.length > 1).sort((a, b) => b.path.length - a.path.length))
    out = out.split(r.path).join(r.as);
  return out;
}

/** A node error as a client gets it: no stack, server folders replaced. */
export function clientError(error: NodeError, roots: readonly { path: string; as: string }[]): NodeError {
  const { stack: _stack, ...rest } = error;
  return {
    ...rest,
    message: redactPaths(rest.message, roots),
    ...(rest.stderrTail && { stderrTail: rest.stderrTail.map((l) => redactPaths(l, roots)) }),
  };
}

/** The job's failure from its (client-safe) nodes; undefined when no node failed. */
export function jobFailure(
  nodes: readonly Pick<NodeState, 'id' | 'type' | 'status' | 'error'>[],
): JobFailure | undefined {
  const failed = nodes.filter((n) => n.status === 'failed');
  if (failed.length === 0) return undefined;
  const listed: FailedNodeSummary[] = failed.slice(0, MAX_LISTED).map((n) => ({
    id: n.id,
    type: n.type,
    ...(n.error?.type && { errorType: n.error.type }),
    message: firstLine(n.error?.message ?? 'failed'),
    ...(n.error?.stderrTail?.length && { stderrTail: n.error.stderrTail.slice(-STDERR_LINES) }),
    ...(n.error?.where && { where: n.error.where }),
  }));
  const head = listed[0]!;
  const message =
    failed.length === 1
      ? `node ${head.id} failed: ${head.message}`
      : `${failed.length} nodes failed (${failed
          .slice(0, 5)
          .map((n) => n.id)
          .join(', ')}${failed.length > 5 ? ', …' : ''}); ${head.id}: ${head.message}`;
  return { message, failedCount: failed.length, nodes: listed };
}
