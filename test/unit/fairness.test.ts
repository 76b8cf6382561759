import { loadConfig, parseFairnessWeights } from '../../src/config';
import { fairnessFor, fairnessKeyOf, priorityOf } from '../../src/domain/fairness';

describe('fair-share weights (TRAINYARD_FAIRNESS_WEIGHTS)', () => {
  test('owner=weight entries, * for everyone else, default 1', () => {
    const w = parseFairnessWeights('alice=2, bob=0.5,*=1.5');
    expect(w).toEqual({ alice: 2, bob: 0.5, '*': 1.5 });
    expect(fairnessFor('alice', w)).toEqual({ key: 'alice', weight: 2 });
    expect(fairnessFor('carol', w)).toEqual({ key: 'carol', weight: 1.5 });
    expect(fairnessFor('carol', {})).toEqual({ key: 'carol', weight: 1 });
  });

  test.each(['alice', 'alice=', 'alice=0', 'alice=5000', 'bad owner=1', 'alice=-1'])(
    '"%s" is refused naming the variable',
    (v) => {
      expect(() => loadConfig({ TRAINYARD_FAIRNESS_WEIGHTS: v })).toThrow(/TRAINYARD_FAIRNESS_WEIGHTS/);
    },
  );

  test('keys fit Temporal’s 64 bytes; two long owners never share one', () => {
    const a = `${'a'.repeat(100)}1`;
    const b = `${'a'.repeat(100)}2`;
    expect(fairnessKeyOf('alice')).toBe('alice');
    expect(fairnessKeyOf(a).length).toBeLessThanOrEqual(64);
    expect(fairnessKeyOf(a)).not.toBe(fairnessKeyOf(b));
  });

  test('priority carries the fairness key and weight only when the snapshot has them', () => {
    expect(priorityOf(2, undefined)).toEqual({ priorityKey: 2 });
    expect(priorityOf(2, { key: 'bob', weight: 3 })).toEqual({ priorityKey: 2, fairnessKey: 'bob', fairnessWeight: 3 });
  });
});
