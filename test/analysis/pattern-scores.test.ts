import { describe, expect, it } from 'vitest';
import { layerPatternScores, recurringPositions } from '../../src/analysis/pattern-scores';

/** [H, T, T] pattern with head 0 attending to t − 1 (t = 0 to itself), head 1 to itself, head 2 uniform over 0..t. */
function patterns(T: number): Float32Array {
  const p = new Float32Array(3 * T * T);
  for (let t = 0; t < T; t++) {
    p[(0 * T + t) * T + Math.max(0, t - 1)] = 1;
    p[(1 * T + t) * T + t] = 1;
    for (let j = 0; j <= t; j++) p[(2 * T + t) * T + j] = 1 / (t + 1);
  }
  return p;
}

describe('head-type scores from attention patterns', () => {
  it('finds recurring positions', () => {
    expect(recurringPositions([5, 6, 7, 5, 6, 9, 5])).toEqual([3, 4, 6]);
    expect(recurringPositions([1, 2, 3])).toEqual([]);
  });

  it('scores a previous-token head, a self head and a uniform head', () => {
    const ids = [1, 2, 3, 4, 1, 2, 3, 4];
    const T = ids.length;
    const s = layerPatternScores(patterns(T), 3, ids);
    expect(s.prevToken[0]).toBeCloseTo(1, 6);
    expect(s.self[1]).toBeCloseTo(1, 6);
    expect(s.prevToken[1]).toBe(0);
    // uniform over 0..t: 1/(t+1) on the previous token, averaged over t = 1..T−1
    const want = Array.from({ length: T - 1 }, (_, i) => 1 / (i + 2)).reduce((a, b) => a + b, 0) / (T - 1);
    expect(s.prevToken[2]).toBeCloseTo(want, 6);
    expect(s.recurring).toEqual([4, 5, 6, 7]);
    // Position t = 4 (token 1, seen at 0): an induction head would attend to 1; the uniform head puts 1/5 there.
    const ind = [4, 5, 6, 7].map((t) => 1 / (t + 1)).reduce((a, b) => a + b, 0) / 4;
    expect(s.induction[2]).toBeCloseTo(ind, 6);
    expect(s.induction[0]).toBe(0);
  });

  it('scores an induction head 1 and refuses a pattern of the wrong size', () => {
    const ids = [7, 8, 9, 7, 8, 9];
    const T = ids.length;
    const p = new Float32Array(T * T);
    for (let t = 0; t < T; t++) p[t * T + (t >= 3 ? t - 2 : t)] = 1; // t ≥ 3 attends to the token after the earlier copy
    const s = layerPatternScores(p, 1, ids);
    expect(s.induction[0]).toBeCloseTo(1, 6);
    expect(() => layerPatternScores(p, 2, ids)).toThrow(/not \[2, 6, 6\]/);
  });
});
