// The production setup script registers exactly the attributes the code writes (the dev server's
// flags are generated from the same table).
import fs from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../src/domain/search-attributes';

test('deploy/temporal/setup.sh registers every search attribute of src/domain/search-attributes.ts', () => {
  const script = fs.readFileSync(path.join(__dirname, '..', '..', 'deploy', 'temporal', 'setup.sh'), 'utf8');
  const loop = /for sa in ([^;]+); do/.exec(script);
  expect(loop).not.toBeNull();
  expect(loop![1]!.trim().split(/\s+/).sort()).toEqual([...SEARCH_ATTRIBUTE_DECLARATIONS].sort());
});
