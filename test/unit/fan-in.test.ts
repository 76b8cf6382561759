// Fan-in by parent: a step sees each parent's output under the parent's id; what it carries forward
// names one artifact per ref, never a guess between two.
import { carriedRefs, optionalRef, refsNamed, requireRef } from '../../activities/ml/io';
import type { ArtifactRef, StepInput, StepOutput } from '../../src/domain/step-io';

const ref = (node: string, name: string): ArtifactRef => ({
  name,
  uri: `file:///a/runs/j/${node}/${name}`,
  path: `runs/j/${node}/${name}`,
  sha256: `${node}-${name}`,
  size: 1,
  mediaType: 'application/json',
});
const out = (refs: Record<string, ArtifactRef>): StepOutput => ({ summary: {}, artifacts: [], refs });
const input = (upstream: Record<string, StepOutput>): StepInput => ({
  jobId: 'j',
  nodeId: 'n',
  nodeType: 'evaluate',
  config: {},
  upstream,
  outputDir: 'runs/j',
  resources: { gpus: 0, gpuMemoryGb: 0 },
  priority: 3,
});

const split = ref('split', 'test.json');

describe('fan-in by parent', () => {
  test('when two parents carry different artifacts of a kind, then both are found, each through its parent', () => {
    const i = input({
      b: out({ model: ref('b', 'model.json'), testData: split }),
      a: out({ model: ref('a', 'model.json'), testData: split }),
    });
    expect(refsNamed(i, 'model').map((f) => [f.via, f.ref.path])).toEqual([
      ['a', 'runs/j/a/model.json'],
      ['b', 'runs/j/b/model.json'],
    ]);
    // The same artifact through two parents (a diamond) counts once.
    expect(refsNamed(i, 'testData')).toHaveLength(1);
    expect(() => requireRef(i, 'model', 'hint')).toThrow(
      /needs exactly one "model" from upstream but finds 2: a\/model\.json \(through a\), b\/model\.json \(through b\)/,
    );
    expect(requireRef(i, 'testData', 'hint')).toEqual(split);
    expect(optionalRef(i, 'onnx')).toBeUndefined();
    expect(() => requireRef(i, 'onnx', 'put an export node upstream')).toThrow(/needs "onnx" from upstream/);
  });

  test('when refs are carried forward, then unambiguous ones pass and an ambiguous name is left out', () => {
    const i = input({
      a: out({ model: ref('a', 'model.json'), testData: split }),
      b: out({ model: ref('b', 'model.json') }),
    });
    expect(carriedRefs(i)).toEqual({ testData: split });
  });
});
