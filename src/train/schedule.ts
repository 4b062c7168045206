export interface Schedule {
  peak: number;
  warmup: number;
  total: number;
  minRatio: number;
  /**
   * Warm restarts (SGDR): at each `at` step a new cycle begins — linear warm-up over `warmup` steps to `peak`
   * (the cycle's own), then cosine decay to `peak × minRatio` at the next restart or at `total`.
   */
  restarts?: ReadonlyArray<{ at: number; peak: number }>;
}

/** Linear warm-up to `peak`, then cosine decay to `peak × minRatio` at the end of the cycle (see `restarts`). */
export function learningRate(step: number, o: Schedule): number {
  const cycles = [{ at: 0, peak: o.peak }, ...[...(o.restarts ?? [])].sort((a, b) => a.at - b.at)];
  let c = 0;
  while (c + 1 < cycles.length && step >= cycles[c + 1].at) c++;
  const start = cycles[c].at;
  const end = c + 1 < cycles.length ? cycles[c + 1].at : o.total;
  const peak = cycles[c].peak;
  const s = step - start;
  if (s < o.warmup) return (peak * (s + 1)) / o.warmup;
  const p = Math.min(1, (s - o.warmup) / Math.max(1, end - start - o.warmup));
  return peak * (o.minRatio + (1 - o.minRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
}
