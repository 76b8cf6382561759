// The README's TypeScript SDK example, as a file that runs from a clone:
//   TRAINYARD_URL=http://127.0.0.1:8080 TRAINYARD_API_KEY=$(cat .trainyard/dev-api-key) npx tsx examples/sdk-quickstart.ts
// (`trainyard` resolves to this checkout through package.json `exports`; test/integration/sdk-readme.test.ts runs it.)
import { JobDAG, TrainyardClient, clientOptionsFromEnv } from 'trainyard';

async function main(): Promise<void> {
  const dag = new JobDAG('iris')
    .add({ id: 'data', type: 'dataset', config: { name: 'iris' } })
    .add({ id: 'split', type: 'split', dependsOn: ['data'] })
    .add({ id: 'prep', type: 'preprocess', dependsOn: ['split'] })
    .add({ id: 'train', type: 'train', dependsOn: ['prep'] });
  console.log(dag.getExecutionOrder()); // [['data'], ['split'], ['prep'], ['train']]

  // An HTTP client of the API, typed by the route table; every response is parsed with its schema.
  const trainyard = new TrainyardClient(clientOptionsFromEnv()); // TRAINYARD_URL, TRAINYARD_API_KEY
  const { created, job } = await trainyard.execute(dag.toSpec()); // submit, follow the events, the final view
  console.log(created.id, job.status);
  for await (const m of trainyard.watch(created.id)) console.log(m.type); // snapshot … job_completed
  for await (const line of trainyard.logs(created.id, 'train')) console.log(line);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
