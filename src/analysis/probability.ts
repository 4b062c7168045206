/** Probability arithmetic on plain arrays, free of tfjs so the page can use it too. */

/** Softmax of one row of logits, in float64 for the sums. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** KL(p ‖ q) in nats: Σ p·(log p − log q). Terms with p = 0 count 0. */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) kl += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-300)));
  }
  return Math.max(0, kl);
}

/**
 * Indices of the k largest values, largest first, ties by the lower index (what a stable sort of every index
 * gives), in one pass that keeps only the best k (a 50,257-entry sort per prediction cost ~20 ms).
 */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const n = Math.min(Math.max(0, Math.floor(k)), values.length);
  const top: number[] = [];
  if (n === 0) return top;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (top.length === n) {
      if (!(v > values[top[n - 1]])) continue;
      top.pop();
    }
    let j = top.length;
    top.push(i);
    while (j > 0 && v > values[top[j - 1]]) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = i;
  }
  return top;
}
