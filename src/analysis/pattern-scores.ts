/**
 * Head-type scores of one layer's attention pattern on one sequence, in plain arithmetic (no tfjs, so the page can
 * label heads from a pattern it already has). See head-patterns.ts for the averages over sequences.
 */

export interface LayerPatternScores {
  /** Per head: mean attention from each position t ≥ 1 to t − 1. */
  prevToken: number[];
  /** Per head: mean attention from each position t ≥ 1 to itself. */
  self: number[];
  /**
   * Per head: at positions whose token occurred earlier, the attention on the positions right after those earlier
   * occurrences (what an induction head attends to), averaged over such positions; 0 when there are none.
   */
  induction: number[];
  /** The positions the induction score was averaged over. */
  recurring: number[];
}

/** Positions t whose token occurred at some j < t (where an induction head has something to attend to). */
export function recurringPositions(ids: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let t = 0; t < ids.length; t++) {
    if (seen.has(ids[t])) out.push(t);
    seen.add(ids[t]);
  }
  return out;
}

/** `pattern` is one layer's `attn.hook_pattern` of one sequence: [H, T, T], query-major. */
export function layerPatternScores(pattern: ArrayLike<number>, H: number, ids: ArrayLike<number>, repeated?: number[]): LayerPatternScores {
  const T = ids.length;
  if (pattern.length !== H * T * T) throw new Error(`pattern of ${pattern.length} values is not [${H}, ${T}, ${T}]`);
  const recurring = (repeated ?? recurringPositions(ids)).filter((t) => t > 0 && t < T);
  const prevToken = new Array<number>(H).fill(0);
  const self = new Array<number>(H).fill(0);
  const induction = new Array<number>(H).fill(0);
  for (let h = 0; h < H; h++) {
    for (let t = 1; t < T; t++) {
      prevToken[h] += pattern[(h * T + t) * T + t - 1] / (T - 1);
      self[h] += pattern[(h * T + t) * T + t] / (T - 1);
    }
    for (const t of recurring) {
      let mass = 0;
      for (let j = 1; j <= t; j++) if (ids[j - 1] === ids[t]) mass += pattern[(h * T + t) * T + j];
      induction[h] += mass / recurring.length;
    }
  }
  return { prevToken, self, induction, recurring };
}
