// Worker Versioning (Temporal worker deployments). With TRAINYARD_BUILD_ID set, every Worker of a
// process joins the deployment version <TRAINYARD_DEPLOYMENT_NAME>/<build id>: the job workflows
// are PINNED to the build they started on (so new code never replays an old build's history) and
// move to the current build when they continue as new (workflows/job-workflow.ts). All Worker kinds
// of one build join the same version, so a job's steps run on workers of its own build.
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../src/config';

export function versioningOptions(config: Config): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  const v = config.versioning;
  if (!v) return {};
  return {
    workerDeploymentOptions: {
      version: { deploymentName: v.deploymentName, buildId: v.buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: v.behavior,
    },
  };
}

/** "trainyard/abc123", or "unversioned". */
export function describeVersioning(config: Config): string {
  const v = config.versioning;
  return v ? `deployment ${v.deploymentName}, build ${v.buildId} (${v.behavior})` : 'unversioned';
}
