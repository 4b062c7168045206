/**
 * Plain arithmetic for the attribution graph (attribution-graph-edges.ts): norm scales, the frozen-norm read of a
 * residual vector, rotary rotation and the MLP nonlinearity's ratio act(x)/x, on Float32Arrays. No tfjs.
 */
import type { ModelConfig } from '../engine/types';

export function dot(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ai + i] * b[bi + i];
  return s;
}

/**
 * Per position, the norm's scale on the rows of x [T, D]: 1/sqrt(var + eps) (LayerNorm) or 1/sqrt(mean(x²) + eps)
 * (RMSNorm): the number the graph freezes.
 */
export function normScales(x: Float32Array, T: number, D: number, kind: ModelConfig['norm'], eps: number): Float64Array {
  const s = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    if (kind === 'layernorm') {
      for (let i = 0; i < D; i++) mean += x[t * D + i];
      mean /= D;
    }
    let sq = 0;
    for (let i = 0; i < D; i++) sq += (x[t * D + i] - mean) ** 2;
    s[t] = 1 / Math.sqrt(sq / D + eps);
  }
  return s;
}

/**
 * The part of a norm's read that depends on its input vector o, before the per-position scale: C(o) ∘ γ, with C
 * the mean-centering of LayerNorm (nothing for RMSNorm). With the scale s frozen, the normalised input changes by
 * s · C(o) when o is added to the residual, and a linear map W after the norm reads s · (C(o) ∘ γ) · W.
 */
export function normRead(o: ArrayLike<number>, oi: number, gamma: Float32Array, kind: ModelConfig['norm'], out: Float32Array, outi: number): void {
  const D = gamma.length;
  let mean = 0;
  if (kind === 'layernorm') {
    for (let i = 0; i < D; i++) mean += o[oi + i];
    mean /= D;
  }
  for (let i = 0; i < D; i++) out[outi + i] = (o[oi + i] - mean) * gamma[i];
}

/** cos and sin [T, rotaryDim] of the rotary angles, as src/engine/rotary.ts computes them (float32 angles). */
export function rotaryTables(cfg: ModelConfig, T: number): { cos: Float64Array; sin: Float64Array } {
  const rd = cfg.rotaryDim;
  const half = rd / 2;
  const inv = Array.from({ length: half }, (_, i) => Math.fround(1 / Math.fround(cfg.rotaryBase ** Math.fround((2 * i) / rd))));
  const cos = new Float64Array(T * rd);
  const sin = new Float64Array(T * rd);
  for (let s = 0; s < T; s++) {
    for (let i = 0; i < half; i++) {
      const a = Math.fround(s * inv[i]);
      cos[s * rd + i] = cos[s * rd + i + half] = Math.cos(a);
      sin[s * rd + i] = sin[s * rd + i + half] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/** Rotates x[at .. at + rotaryDim) in place to position s (rotate-half pairing); the rest of the head passes. */
export function rotateAt(x: Float32Array, at: number, s: number, rd: number, tab: { cos: Float64Array; sin: Float64Array }): void {
  const half = rd / 2;
  for (let i = 0; i < half; i++) {
    const c = tab.cos[s * rd + i];
    const n = tab.sin[s * rd + i];
    const a = x[at + i];
    const b = x[at + i + half];
    x[at + i] = a * c - b * n;
    x[at + i + half] = b * c + a * n;
  }
}

/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const GELU_C = Math.sqrt(2 / Math.PI);

/** act(x)/x in closed form (its limit at 0), the identity rule's factor (src/engine/ops.ts activationRatio). */
export function activationRatio(x: number, kind: ModelConfig['activation']): number {
  if (kind === 'relu') return x > 0 ? 1 : 0;
  if (kind === 'silu') return sigmoid(x);
  if (kind === 'gelu') return 0.5 * (1 + erf(x * Math.SQRT1_2));
  return sigmoid(2 * GELU_C * (x + 0.044715 * x * x * x));
}

/** Indices of the k entries of largest |value| (nonzero only), ties to the lower index. */
export function topAbs(values: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== 0 && Number.isFinite(values[i])) idx.push(i);
  idx.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
  return idx.slice(0, k);
}
