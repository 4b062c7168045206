import { describe, expect, it } from 'vitest';
import { STEP_MS, StepBatch } from '../../src/analysis/options';

const pause = async () => {};

/** A step costing `fixed` + `per` × size ms (the shape measured for suffix runs). */
function settle(fixed: number, per: number, max = 64, steps = 12): number[] {
  const b = new StepBatch(max, { pause });
  const sizes: number[] = [];
  for (let i = 0; i < steps; i++) {
    sizes.push(b.size);
    b.observe(fixed + per * b.size);
  }
  return sizes;
}

describe('StepBatch in the worker', () => {
  it('outside the worker the full batch, always', () => {
    const b = new StepBatch(40);
    b.observe(10_000);
    expect(b.size).toBe(40);
  });

  it('cheap steps grow until a step takes about STEP_MS', () => {
    const sizes = settle(2, 1);
    const last = sizes[sizes.length - 1];
    expect(2 + last).toBeLessThanOrEqual(STEP_MS);
    expect(2 + 2 * last).toBeGreaterThan(STEP_MS / 2);
  });

  it('a large fixed cost per call: steps batch up to 1.5 × the shortest step instead of one sequence each', () => {
    // About GPT-2 small: 430 ms per call plus 55 ms per sequence.
    const sizes = settle(430, 55);
    const last = sizes[sizes.length - 1];
    expect(last).toBeGreaterThanOrEqual(4);
    expect(430 + 55 * last).toBeLessThanOrEqual(1.5 * (430 + 55 * 2));
    // It settles: no oscillation once the cap is found.
    expect(new Set(sizes.slice(-4)).size).toBe(1);
  });

  it('a step that runs long shrinks the batch in proportion', () => {
    const b = new StepBatch(64, { pause });
    b.observe(100); // size 2 → shortest 100, budget 100 + max(80, 50) = 180
    const s = b.size;
    b.observe(1000);
    expect(b.size).toBe(Math.max(1, Math.floor((s * 180) / 1000)));
  });
});
