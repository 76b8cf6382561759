// dataset step: loads a built-in sample or a CSV/JSON file under the data root, profiles it and stores
// a compact typed copy for the steps below.
import { DatasetConfig } from '../src/domain/node-types';
import { loggedStep } from './define-step';
import { loadDataset } from './ml/datasets';
import { invalid, nodeLog, putJson, REFS } from './ml/io';
import { profile } from './ml/table';
import type { StepDeps } from './step-deps';

export function makeDatasetStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, DatasetConfig, async (input, ctx) => {
    ctx.heartbeat({ phase: 'running', percent: 0, message: 'loading data' });
    let loaded;
    try {
      loaded = await loadDataset(input.config, deps.dataRoot);
    } catch (err) {
      // Bad path, bad file, bad target: retrying will not help.
      throw invalid(`node ${input.nodeId}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const { dataset, sourceSha256, source, sourceRows } = loaded;
    const prof = profile(dataset, sourceRows);
    ctx.throwIfCancelled();
    const ref = await putJson(deps.store, input, 'dataset.json', { ...dataset, sourceSha256, source });
    const profRef = await putJson(deps.store, input, 'profile.json', prof);
    await nodeLog(
      deps.store,
      input,
      `loaded ${source}: ${prof.rows} rows, ${prof.columns} columns (${prof.droppedRowsMissingTarget} dropped for a missing target)`,
    );
    return {
      summary: { source, sourceSha256, ...prof },
      artifacts: [ref, profRef],
      refs: { [REFS.dataset]: ref },
    };
  });
}
