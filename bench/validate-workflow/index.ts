// The validate bench's probe (bench/validate.ts): validates the spec it is given `times` times in
// one workflow task, so the task's duration in the history is what validation costs in the SDK's
// sandbox (no clock reads inside a workflow: Date.now() stands still within an activation).
import { validateJob } from '../../src/domain/validate';

export async function validateInSandbox(spec: unknown, times: number): Promise<number> {
  let valid = 0;
  for (let i = 0; i < times; i++) if (validateJob(spec).ok) valid++;
  return valid;
}
