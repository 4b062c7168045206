/** Linear warm-up to `peak`, then cosine decay to `peak × minRatio` at `total` steps. */
export function learningRate(step: number, o: { peak: number; warmup: number; total: number; minRatio: number }): number {
  if (step < o.warmup) return (o.peak * (step + 1)) / o.warmup;
  const p = Math.min(1, (step - o.warmup) / Math.max(1, o.total - o.warmup));
  return o.peak * (o.minRatio + (1 - o.minRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
}
