// GET /v1/jobs/:id/nodes when no worker can answer the workflow's queries (the stack runs none):
// the job view has only describe's status, so the nodes route answers 409 nodes_unavailable with
// a message that says where the status is, and 404 still wins for another tenant.
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack({ workers: false });
}, 180_000);
afterAll(async () => s?.stop());

test('when no worker answers, then 409 nodes_unavailable (the job view falls back to describe)', async () => {
  const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, {
    name: 'nobody-home',
    nodes: [{ id: 'a', type: 'command', config: { command: ['node', '-e', 'null'] } }],
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;

  const r = await apiCall(s, 'GET', `/v1/jobs/${id}/nodes`, KEYS.alice);
  expect(r.status).toBe(409);
  expect(r.body.error.code).toBe('nodes_unavailable');
  expect(r.body.error.message).toMatch(new RegExp(`did not answer.*GET /v1/jobs/${id} has its status`));

  const view = await apiCall(s, 'GET', `/v1/jobs/${id}`, KEYS.alice);
  expect(view.body).toMatchObject({ source: 'describe', nodes: [] });
  expect((await apiCall(s, 'GET', `/v1/jobs/${id}/nodes`, KEYS.bob)).status).toBe(404);
}, 60_000);
