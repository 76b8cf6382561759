// How long one activation of a workflow may run in its isolate before the SDK terminates it. The
// SDK's default is 5 s and its typings do not list the option (`isolateExecutionTimeout`, read from
// the Worker options as given: @temporalio/worker lib/worker-options.js), but a run of a
// 50,000-node job builds its state in one activation (plan → 50,000 nodes, carried states restored)
// and, on two busy cores, that can take longer; the termination then crashes Node ("async hook stack
// has become corrupted"), taking every workflow of the process down with it. 25 s stays under the
// job workflow's 30 s workflow task timeout (src/domain/job-start-options.ts), so a truly stuck
// activation still fails its task first.
export const WORKFLOW_ISOLATE_TIMEOUT: object = { isolateExecutionTimeout: '25s' };
