import { describe, expect, it } from 'vitest';
import { topIndices } from '../../src/views/graph-data';
import { Rng } from '../../src/analysis/rng';

/** The one-pass top-k equals sorting every index by |value| (stable: ties keep the lower index first). */
describe('topIndices', () => {
  const bySort = (v: number[], k: number) =>
    Array.from({ length: v.length }, (_, i) => i)
      .sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]))
      .slice(0, k);
  it('matches a full sort on random values with ties, for every k', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(60);
      // Few distinct magnitudes of both signs, so ties are common.
      const v = Array.from({ length: n }, () => (rng.int(2) ? 1 : -1) * rng.int(8));
      for (const k of [0, 1, 3, n - 1, n, n + 5]) expect(topIndices(v, k), `n=${n} k=${k}`).toEqual(bySort(v, Math.max(0, k)));
    }
  });
  it('takes a typed array', () => {
    expect(topIndices(Float32Array.from([0.5, -2, 1, 2]), 2)).toEqual([1, 3]);
  });
});
