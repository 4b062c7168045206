import { describe, expect, it } from 'vitest';
import { topIndices } from '../../src/analysis/probability';

const bySort = (v: number[], k: number) => Array.from(v.keys()).sort((a, b) => v[b] - v[a]).slice(0, k);

describe('topIndices', () => {
  it('equals a stable sort of every index, ties by the lower index, for random values and ties', () => {
    let s = 7;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31), s / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 60);
      const v = Array.from({ length: n }, () => (trial % 3 === 0 ? Math.floor(rand() * 4) : rand() - 0.5));
      for (const k of [0, 1, 3, 10, n, n + 5]) expect(topIndices(v, k), `trial ${trial} k ${k}`).toEqual(bySort(v, k));
    }
  });
});
