// Workflow interceptors of every job and quota workflow (bundled through workflowInterceptorModules,
// see workers/workflow-bundle.ts). A message whose arguments could not be decoded (the payload
// converter made them UndecodablePayload, src/domain/payload-guard.ts) never reaches a handler:
// a signal is logged and dropped, an update is rejected, a query fails — the workflow task never
// does, so no input can wedge a job. No commands are added: replay-safe without a patch.
import { ApplicationFailure, log, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../src/domain/failure-types';
import { firstUndecodable, type UndecodablePayload } from '../src/domain/payload-guard';

function why(kind: string, name: string, bad: UndecodablePayload): string {
  return `${kind} "${name}": its payload could not be decoded (encoding ${bad.encoding}: ${bad.reason})`;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        const bad = firstUndecodable(input.args);
        if (bad)
          throw ApplicationFailure.create({
            type: FAILURE_TYPES.UndecodablePayload,
            nonRetryable: true,
            message: why('workflow input of', 'start', bad),
          });
        return next(input);
      },
      async handleSignal(input, next) {
        const bad = firstUndecodable(input.args);
        if (bad) {
          log.warn(`${why('signal', input.signalName, bad)}; dropped`);
          return;
        }
        return next(input);
      },
      validateUpdate(input, next) {
        const bad = firstUndecodable(input.args);
        if (bad) throw new Error(`${why('update', input.name, bad)}; rejected`);
        next(input);
      },
      async handleUpdate(input, next) {
        const bad = firstUndecodable(input.args);
        if (bad)
          throw ApplicationFailure.create({
            type: FAILURE_TYPES.UndecodablePayload,
            nonRetryable: true,
            message: `${why('update', input.name, bad)}; rejected`,
          });
        return next(input);
      },
      async handleQuery(input, next) {
        const bad = firstUndecodable(input.args);
        if (bad) throw new Error(`${why('query', input.queryName, bad)}; not answered`);
        return next(input);
      },
    },
  ],
});
