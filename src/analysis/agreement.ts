/**
 * How well one list of scores predicts another over the same nodes (tfjs-free): Pearson's r and the overlap of
 * the top k by magnitude. Used by the faithfulness meter (faithfulness-meter.ts) to say how far a fast
 * attribution (AtP, RelP, grad × act, IG) can be trusted against exact patching or ablation.
 */
import { fail } from '../engine/errors';

/** Pearson's correlation coefficient; null when there are fewer than two values or either list is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  if (x.length !== y.length) fail(`pearson: ${x.length} values against ${y.length}`);
  const n = x.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** The indices of the k largest |values| (ties: the earlier index first). */
export function topByMagnitude(values: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: values.length }, (_, i) => i)
    .sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b)
    .slice(0, Math.max(0, k));
}

/** How many of the top k nodes by |score| the two lists share; k is capped at the number of nodes. */
export function topOverlap(x: ArrayLike<number>, y: ArrayLike<number>, k = 10): { overlap: number; k: number } {
  if (x.length !== y.length) fail(`top-k overlap: ${x.length} values against ${y.length}`);
  const kk = Math.min(k, x.length);
  const a = new Set(topByMagnitude(x, kk));
  return { overlap: topByMagnitude(y, kk).filter((i) => a.has(i)).length, k: kk };
}
