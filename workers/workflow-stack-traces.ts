// Workflow stack traces (the Temporal Web UI's "Stack Trace" tab, `temporal workflow stack`) cost
// every workflow activation a V8 promise hook that builds a source-mapped stack trace for EACH
// promise the workflow creates: ~0.6 ms of a dependent hop's ~10 ms gap on the quiet bench host
// (bench/README.md §1). The SDK (1.24) has no option to turn it off, but it already supports running
// without it (bun has no promise hooks): `__stack_trace` then answers "Workflow stack traces are not
// enabled on this worker" and nothing else changes (failures keep their source-mapped stacks).
//
// This wraps Worker.create so the workflow threads it starts skip installing the hook: while
// `create` runs, node:worker_threads' Worker is swapped for a subclass that, for the SDK's workflow
// thread entry only, first stubs `globalHandlers.setPromiseHook` in that thread's own copy of
// @temporalio/worker and then loads the entry as usual. Workers created outside the call (other
// subjects of a benchmark, GPU workers) are untouched. TRAINYARD_WORKFLOW_STACK_TRACES=on keeps them.
// The default import is the module object itself (esModuleInterop), so the swap below is seen by
// the SDK's own require('node:worker_threads').Worker lookups; a namespace import would be a copy.
import threads from 'node:worker_threads';

const THREAD_ENTRY = require.resolve('@temporalio/worker/lib/workflow/workflow-worker-thread');
const VM_SHARED = require.resolve('@temporalio/worker/lib/workflow/vm-shared');

// Runs as CommonJS inside the new thread (eval: true), before the SDK's own entry.
const NO_HOOK_ENTRY = `
require(${JSON.stringify(VM_SHARED)}).globalHandlers.setPromiseHook = function noPromiseHook() {};
require(${JSON.stringify(THREAD_ENTRY)});
`;

const NodeWorker = threads.Worker;
class WorkflowThreadWithoutStackTraces extends NodeWorker {
  constructor(filename: string | URL, options?: threads.WorkerOptions) {
    if (filename === THREAD_ENTRY) super(NO_HOOK_ENTRY, { ...options, eval: true });
    else super(filename, options);
  }
}
const workerThreads = threads as { Worker: typeof NodeWorker };
let swaps = 0;

/** Runs `create` (a Worker.create call) so that the workflow threads it starts have no stack-trace hook. */
export async function withoutWorkflowStackTraces<T>(create: () => Promise<T>): Promise<T> {
  // Overlapping calls share one swap; the last to finish puts Node's Worker back.
  if (swaps++ === 0) workerThreads.Worker = WorkflowThreadWithoutStackTraces;
  try {
    return await create();
  } finally {
    if (--swaps === 0) workerThreads.Worker = NodeWorker;
  }
}

/** `create` as is when stack traces are wanted, else withoutWorkflowStackTraces(create). */
export function createWorkflowWorker<T>(stackTraces: boolean, create: () => Promise<T>): Promise<T> {
  return stackTraces ? create() : withoutWorkflowStackTraces(create);
}
