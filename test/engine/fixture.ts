import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { join } from 'node:path';

/**
 * The gpt2-tiny checkpoint with reference numbers from an independent PyTorch implementation (see its README).
 * A copy lives in test/fixtures so a clean clone tests without anything beside it; no tokenizer.json there.
 */
export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'gpt2-tiny');

export interface Dense {
  shape: number[];
  data: number[];
}

export interface Reference {
  input_ids: number[];
  target: { position: number; token: number };
  logits: Dense;
  activations: Record<string, Dense>;
  grad_target_logit_wrt_mlp_post: Record<string, Dense>;
  interventions: Array<{
    edits: Array<{ hook: string; neuron: number; kind: 'zero' | 'clamp' | 'scale'; value: number | null; position: number | null }>;
    last_position_logits: number[];
  }>;
}

export function loadReference(): Reference {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'reference.json'), 'utf8'));
}

/** Largest violation of |a − r| ≤ 1e-4 + 1e-3·|r|, as a ratio (≤ 1 passes). */
export function worstRatio(actual: ArrayLike<number>, ref: number[]): number {
  if (actual.length !== ref.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const tol = 1e-4 + 1e-3 * Math.abs(ref[i]);
    worst = Math.max(worst, Math.abs(actual[i] - ref[i]) / tol);
  }
  return worst;
}

/** Largest |a − b| relative to max(1, max |b|), the fast-path tests' measure (lengths must agree). */
export function worstRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / Math.max(1, scale);
}
