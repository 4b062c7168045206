/** The strengths of a steering sweep (tfjs-free: the workbench's panel builds them on the main thread). */
import { fail } from '../engine/errors';

/** At most this many strengths in one sweep. */
export const MAX_SWEEP_STRENGTHS = 41;

/** Strengths from `from` to `to` in steps of `step` (both ends included when the step lands on them). */
export function sweepStrengths(from: number, to: number, step: number): number[] {
  if (![from, to, step].every(Number.isFinite)) fail('the sweep needs finite numbers: from, to and step');
  if (step <= 0) fail(`the sweep's step ${step} must be above 0`);
  if (to < from) fail(`the sweep goes from ${from} to ${to}: "to" must not be below "from"`);
  const n = Math.floor((to - from) / step + 1e-9) + 1;
  if (n > MAX_SWEEP_STRENGTHS) fail(`the sweep from ${from} to ${to} in steps of ${step} has ${n} strengths; at most ${MAX_SWEEP_STRENGTHS}`);
  return Array.from({ length: n }, (_, i) => Number((from + i * step).toFixed(10)));
}
